/**
 * The cost of folding old turns into a session's rolling summary, through the Worker's entry: the summary's
 * model usage is priced and added to the workspace's month beside the replies' (counted as no turn), so
 * `GET /api/v1/chat/workspaces/{id}/costs` is exactly replies + fold.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, it } from "vitest";
import { recorded } from "./provider-fixtures";
import { founderToken } from "./chat-support";
import { ADMIN, call, json, uniqueId } from "./helpers";

const MODEL = `echo~fold-${uniqueId("cost")}`;

interface Turn {
  session_id: string;
  usage: { input_tokens: number; output_tokens: number };
  cost_usd: number | null;
  context: { folded: number };
}

/** One priced model at whole dollars per token: input 1 USD, output 2 USD, so every sum is exact. */
beforeAll(async () => {
  const toml = `
[providers.fake_openai]
type = "openai"
url = "${env.TEST_FAKE_UPSTREAMS_URL}/openai/v1"
api_key = "sk-test"

[models.priced]
provider = "fake_openai"
model = "${MODEL}"
prices = { input_per_million = 1000000, output_per_million = 2000000 }

[functions.chat]
type = "chat"

[functions.chat.variants.only]
model = "models.priced"
`;
  const res = await call("/api/v1/models/config", {
    method: "PUT",
    token: await ADMIN(),
    body: toml,
    headers: { "content-type": "text/plain" },
  });
  if (res.status !== 200) throw new Error(`config: ${res.status} ${await res.text()}`);
});

async function turn(auth: string, message: string, sessionId?: string): Promise<Turn> {
  const res = await call("/chat", { token: auth, body: { message, ...(sessionId ? { session_id: sessionId } : {}) } });
  if (res.status !== 200) throw new Error(`chat: ${res.status} ${await res.text()}`);
  return json<Turn>(res);
}

interface SentBody {
  messages: { role: string; content: string }[];
  max_tokens?: number;
  max_completion_tokens?: number;
}

/** Counts words as the fake upstream does (fake-upstreams/behaviour.ts runs in Node, outside this project). */
function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== "");
}

/** The fake's deterministic usage for a request: words of every message in, echo of the last one out (capped). */
function usageOf(body: SentBody): { input: number; output: number } {
  const input = words(body.messages.map((m) => m.content).join(" ")).length;
  const last = body.messages.filter((m) => m.role === "user").at(-1)?.content ?? "";
  const cap = body.max_completion_tokens ?? body.max_tokens ?? Number.POSITIVE_INFINITY;
  return { input, output: Math.min(words(`echo: ${last}`).length, cap) };
}

describe("context fold cost", () => {
  it("should add the summary's model cost to the workspace's month, counted as no turn", async ({ expect }) => {
    const workspace = uniqueId("ws");
    const auth = await founderToken({ user_id: uniqueId("f"), workspace_id: workspace });
    // ~1,500 estimated tokens a message and its echo as much: the second exchange folds the first.
    const long = (tag: string) => `${tag} ${"lorem ipsum dolor ".repeat(330)}`;
    const first = await turn(auth, long("alpha"));
    const second = await turn(auth, long("bravo"), first.session_id);
    expect(second.context.folded).toBe(2);

    const folds = (await recorded(MODEL)).filter((r) =>
      JSON.stringify(r.body).includes("You keep a rolling summary of a conversation"),
    );
    expect(folds).toHaveLength(1);
    const fold = usageOf(folds[0]?.body as unknown as SentBody);
    expect(fold.input).toBeGreaterThan(0);

    const input = first.usage.input_tokens + second.usage.input_tokens + fold.input;
    const output = first.usage.output_tokens + second.usage.output_tokens + fold.output;
    expect(first.cost_usd).toBe(first.usage.input_tokens + 2 * first.usage.output_tokens);
    const res = await call(`/api/v1/chat/workspaces/${workspace}/costs`, { token: auth });
    expect(res.status).toBe(200);
    const body = await json<{ current: Record<string, unknown> }>(res);
    expect(body.current).toEqual({
      month: new Date().toISOString().slice(0, 7),
      cost_usd: input + 2 * output,
      input_tokens: input,
      output_tokens: output,
      turns: 2,
    });
  });
});
