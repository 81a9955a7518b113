/**
 * Workspace costs and budgets through the Worker's entry: every turn's cost (the fake upstream's usage priced
 * by the serving model's prices) summed exactly per workspace and month, `GET
 * /api/v1/chat/workspaces/{id}/costs` for its owner or admin only, and a spent budget restricting the
 * workspace to the local and free tiers — the cloud variant no longer asked, the free one answering — with
 * the founder told once.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, it } from "vitest";
import { budgetNote } from "../../workers/chat/budget/budget-gate";
import { ADMIN, call, json, uniqueId } from "./helpers";
import { founderToken } from "./chat-support";

const TAG = uniqueId("budget");
const CLOUD = `echo~cloud-${TAG}`;
const FREE = `echo~free-${TAG}`;

interface Turn {
  reply: string;
  usage: { input_tokens: number; output_tokens: number };
  cost_usd: number | null;
  model: { variant: string } | null;
}

interface Costs {
  workspace_id: string;
  current: { month: string; cost_usd: number; input_tokens: number; output_tokens: number; turns: number };
  budget: {
    monthly_usd: number;
    source: string;
    spent_usd: number;
    remaining_usd: number | null;
    exhausted: boolean;
    max_tier: string | null;
  };
  months: { month: string; cost_usd: number }[];
}

/** The cloud variant is tried first (explicit order) and priced at whole dollars per token, so sums are exact. */
beforeAll(async () => {
  const toml = `
[providers.fake_openai]
type = "openai"
url = "${env.TEST_FAKE_UPSTREAMS_URL}/openai/v1"
api_key = "sk-test"

[models.cloud-m]
provider = "fake_openai"
model = "${CLOUD}"
prices = { input_per_million = 1000000, output_per_million = 2000000 }

[models.free-m]
provider = "fake_openai"
model = "${FREE}"

[functions.chat]
type = "chat"
order = ["cloud", "free"]

[functions.chat.variants.cloud]
model = "models.cloud-m"
tier = "cloud"

[functions.chat.variants.free]
model = "models.free-m"
tier = "free"
`;
  const res = await call("/api/v1/models/config", {
    method: "PUT",
    token: await ADMIN(),
    body: toml,
    headers: { "content-type": "text/plain" },
  });
  if (res.status !== 200) throw new Error(`config: ${res.status} ${await res.text()}`);
});

async function turn(auth: string, message: string): Promise<Turn> {
  const res = await call("/chat", { token: auth, body: { message } });
  if (res.status !== 200) throw new Error(`chat: ${res.status} ${await res.text()}`);
  return json<Turn>(res);
}

async function costs(workspace: string, auth: string): Promise<Response> {
  return call(`/api/v1/chat/workspaces/${workspace}/costs`, { token: auth });
}

async function upstreamCalls(model: string): Promise<number> {
  const res = await fetch(`${env.TEST_FAKE_UPSTREAMS_URL}/_requests?model=${encodeURIComponent(model)}`);
  return (await res.json<unknown[]>()).length;
}

const month = () => new Date().toISOString().slice(0, 7);

describe("GET /api/v1/chat/workspaces/{id}/costs", () => {
  it("should sum every turn's cost exactly, concurrent turns included", async ({ expect }) => {
    const workspace = uniqueId("ws");
    const auth = await founderToken({ user_id: uniqueId("f"), workspace_id: workspace });
    const turns = await Promise.all(["alpha beta", "gamma delta epsilon", "zeta"].map((m) => turn(auth, m)));
    const input = turns.reduce((n, t) => n + t.usage.input_tokens, 0);
    const output = turns.reduce((n, t) => n + t.usage.output_tokens, 0);
    for (const t of turns) expect(t.cost_usd).toBe(t.usage.input_tokens + 2 * t.usage.output_tokens);
    const res = await costs(workspace, auth);
    expect(res.status).toBe(200);
    const body = await json<Costs>(res);
    expect(body.current).toEqual({
      month: month(),
      cost_usd: input + 2 * output,
      input_tokens: input,
      output_tokens: output,
      turns: 3,
    });
    expect(body.budget).toEqual({
      monthly_usd: 0,
      source: "default",
      spent_usd: input + 2 * output,
      remaining_usd: null,
      exhausted: false,
      max_tier: null,
    });
    expect(body.months).toEqual([body.current]);
  });

  it("should answer 404 to another founder and 200 to admin", async ({ expect }) => {
    const workspace = uniqueId("ws");
    const owner = await founderToken({ user_id: uniqueId("f"), workspace_id: workspace });
    await turn(owner, "hello there");
    const stranger = await founderToken({ user_id: uniqueId("f") });
    const refused = await costs(workspace, stranger);
    expect(refused.status).toBe(404);
    expect((await json<{ error: { code: string } }>(refused)).error.code).toBe("workspace_not_found");
    const admin = await costs(workspace, await ADMIN());
    expect(admin.status).toBe(200);
    expect((await json<Costs>(admin)).current.turns).toBe(1);
  });
});

describe("PUT /api/v1/chat/workspaces/{id}/budget", () => {
  it("should restrict a workspace over budget to the free tier and say so once", async ({ expect }) => {
    const workspace = uniqueId("ws");
    const auth = await founderToken({ user_id: uniqueId("f"), workspace_id: workspace });
    const set = await call(`/api/v1/chat/workspaces/${workspace}/budget`, {
      method: "PUT",
      token: await ADMIN(),
      body: { monthly_usd: 1.5 },
    });
    expect(set.status).toBe(200);
    expect((await json<Costs>(set)).budget).toMatchObject({ monthly_usd: 1.5, source: "workspace", exhausted: false });
    const cloudBefore = await upstreamCalls(CLOUD);

    const first = await turn(auth, "plan my launch week");
    expect(first.model?.variant).toBe("cloud");
    expect(first.reply).toBe("echo: plan my launch week");

    const second = await turn(auth, "and the week after");
    expect(second.model?.variant).toBe("free");
    expect(second.reply).toBe(`${budgetNote(1.5)}\n\necho: and the week after`);
    expect(second.cost_usd).toBeNull();

    const third = await turn(auth, "anything else");
    expect(third.model?.variant).toBe("free");
    expect(third.reply).toBe("echo: anything else");
    expect(await upstreamCalls(CLOUD)).toBe(cloudBefore + 1);

    const after = await json<Costs>(await costs(workspace, auth));
    expect(after.current.turns).toBe(3);
    expect(after.current.cost_usd).toBe(first.cost_usd);
    expect(after.budget).toEqual({
      monthly_usd: 1.5,
      source: "workspace",
      spent_usd: first.cost_usd,
      remaining_usd: 0,
      exhausted: true,
      max_tier: "free",
    });
  });

  it("should lift the restriction when the budget is reset to none", async ({ expect }) => {
    const workspace = uniqueId("ws");
    const auth = await founderToken({ user_id: uniqueId("f"), workspace_id: workspace });
    const put = (monthly_usd: number | null) =>
      ADMIN().then((admin) =>
        call(`/api/v1/chat/workspaces/${workspace}/budget`, { method: "PUT", token: admin, body: { monthly_usd } }),
      );
    await put(0.5);
    await turn(auth, "spend it");
    expect((await turn(auth, "restricted now")).model?.variant).toBe("free");
    const reset = await put(null);
    expect((await json<Costs>(reset)).budget).toMatchObject({ monthly_usd: 0, source: "default", exhausted: false });
    expect((await turn(auth, "free again")).model?.variant).toBe("cloud");
  });

  it("should stream the note as the first token of the first restricted turn", async ({ expect }) => {
    const workspace = uniqueId("ws");
    const auth = await founderToken({ user_id: uniqueId("f"), workspace_id: workspace });
    await call(`/api/v1/chat/workspaces/${workspace}/budget`, {
      method: "PUT",
      token: await ADMIN(),
      body: { monthly_usd: 0.25 },
    });
    await turn(auth, "spend it all");
    const res = await call("/chat", { token: auth, body: { message: "stream this", stream: true } });
    const frames = (await res.text())
      .split("\n\n")
      .filter((f) => f.startsWith("data: {"))
      .map(
        (f) => JSON.parse(f.slice(6)) as { type: string; text?: string; reply?: string; model?: { variant: string } },
      );
    expect(frames[0]).toEqual({ type: "token", text: `${budgetNote(0.25)}\n\n` });
    const done = frames.find((f) => f.type === "done");
    expect(done?.reply).toBe(`${budgetNote(0.25)}\n\necho: stream this`);
    expect(done?.model?.variant).toBe("free");
  });
});
