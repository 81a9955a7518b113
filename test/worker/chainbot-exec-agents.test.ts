/**
 * agent_task steps on spawned agents, through the Worker's entry: a named agent (unknown → the step fails at
 * once), an assistant answering with its own personality as the system prompt and back to idle afterwards,
 * an api agent taking a task by type (POSTed to its base URL with its credentials and the step's idempotency
 * key), and the ephemeral agent when none of the type is spawned.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, it } from "vitest";
import { call, json } from "./helpers";
import {
  CB_ADMIN,
  createWorkflow,
  execute,
  received,
  step,
  tag,
  upstream,
  useAgentModel,
  waitFor,
} from "./chainbot-exec-support";

interface Agent {
  id: string;
  status: string;
}

async function spawn(body: unknown): Promise<Agent> {
  const res = await call("/api/chainbot/agents", { body, token: await CB_ADMIN() });
  if (res.status !== 201) throw new Error(`spawn: ${res.status} ${await res.text()}`);
  return json<Agent>(res);
}

async function statusOf(id: string): Promise<string> {
  return (await json<Agent>(await call(`/api/chainbot/agents/${id}`, { token: await CB_ADMIN() }))).status;
}

/** The system prompts the fake model got for the `chat` function's model. */
async function systemPrompts(): Promise<string[]> {
  const res = await fetch(`${env.TEST_FAKE_UPSTREAMS_URL}/_requests?model=${encodeURIComponent("fake-echo~chainbot")}`);
  const requests = await res.json<{ body: { messages: { role: string; content: string }[] } }[]>();
  return requests.map((r) => r.body.messages.find((m) => m.role === "system")?.content ?? "");
}

beforeAll(async () => {
  await useAgentModel();
});

describe("agent_task steps", () => {
  it("should fail a task for an unknown agent at once", async ({ expect }) => {
    const wf = await createWorkflow({
      name: "named",
      steps: [{ id: "a", type: "agent_task", agent_id: crypto.randomUUID(), task: "hello" }],
    });
    const done = await waitFor(await execute(wf));
    expect(done.status).toBe("failed");
    expect(step(done, "a")).toMatchObject({ attempts: 1, error: { code: "agent_unavailable" } });
  });

  it("should run a task on the named assistant with its personality, and leave it idle", async ({ expect }) => {
    const personality = `a meticulous pirate ${tag("p")}`;
    const agent = await spawn({ agent_type: "assistant", config: { name: "Rater", personality } });
    const wf = await createWorkflow({
      name: "spawned",
      steps: [{ id: "a", type: "agent_task", agent_id: agent.id, task: "Rate ${input.doc}" }],
    });
    const done = await waitFor(await execute(wf, { doc: "report.pdf" }));
    expect(done.status).toBe("completed");
    // The fake model echoes the user turn, whose last JSON object is the input: that object is the output.
    expect(step(done, "a").output).toEqual({ doc: "report.pdf" });
    expect((await systemPrompts()).filter((s) => s.includes(`Personality: ${personality}`))).toHaveLength(1);
    expect(await statusOf(agent.id)).toBe("idle");
  });

  it("should hand a task to an idle api agent of the type, with its credentials and the idempotency key", async ({
    expect,
  }) => {
    const path = `echo/${tag("api-agent")}`;
    const agent = await spawn({
      agent_type: "api",
      config: { name: "Scorer", base_url: upstream(path), auth: { type: "bearer", token: "agent-secret-91" } },
    });
    const wf = await createWorkflow({
      name: "api-agent",
      steps: [{ id: "score", type: "agent_task", agent_type: "api", task: "score ${input.doc}" }],
    });
    const id = await execute(wf, { doc: "q3.csv" });
    const done = await waitFor(id);
    expect(done.status).toBe("completed");
    const calls = await received(path);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      method: "POST",
      headers: { authorization: "Bearer agent-secret-91", "idempotency-key": `${id}:score:1` },
      body: { task: "score q3.csv", input: { doc: "q3.csv" }, config: {} },
    });
    expect(step(done, "score").output).toMatchObject({ method: "POST", idempotency_key: `${id}:score:1` });
    expect(JSON.stringify(done)).not.toContain("agent-secret-91");
    expect(await statusOf(agent.id)).toBe("idle");
  });

  it("should run on an ephemeral agent when none of the type is spawned", async ({ expect }) => {
    const wf = await createWorkflow({
      name: "ephemeral",
      steps: [{ id: "a", type: "agent_task", agent_type: "data_processor", task: "sum ${input.n}" }],
    });
    const done = await waitFor(await execute(wf, { n: 3 }));
    expect(done.status).toBe("completed");
    expect(step(done, "a").output).toEqual({ n: 3 });
    expect(await systemPrompts()).toContain(
      "You are a data processor agent: data processing, analysis and reporting.\nDo the task and answer with one JSON object holding your results.",
    );
  });
});
