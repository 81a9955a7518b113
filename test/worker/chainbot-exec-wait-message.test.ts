/**
 * A ChainBot `wait` step on an entanglement message (until `entanglement_message`), through the Worker's
 * entry: the execution resumes when a message from the named member, of the named type, is posted — the
 * message is the step's output — and not on others; the timeout fails the step; an unknown entanglement
 * fails it; a malformed wait is refused at workflow create with a 400 naming the step.
 */
import { afterEach, describe, it } from "vitest";
import { ADMIN, call, json, token } from "./helpers";
import { createWorkflow, execute, step, waitFor } from "./chainbot-exec-support";

const spawnedIds: string[] = [];

afterEach(async () => {
  const auth = await ADMIN();
  for (const id of spawnedIds.splice(0)) await call(`/api/chainbot/agents/${id}`, { method: "DELETE", token: auth });
});

async function agent(name: string): Promise<string> {
  const res = await call("/api/chainbot/agents", {
    token: await ADMIN(),
    body: { agent_type: "data_processor", config: { name, processing_type: "validation" } },
  });
  if (res.status !== 201) throw new Error(`spawn: ${res.status} ${await res.text()}`);
  const { id } = await json<{ id: string }>(res);
  spawnedIds.push(id);
  return id;
}

async function entanglement(agentIds: string[]): Promise<string> {
  const res = await call("/api/chainbot/entanglements", {
    token: await token(["chainbot:entanglement:manage"]),
    body: { name: "Waiters", agent_ids: agentIds },
  });
  if (res.status !== 201) throw new Error(`entanglement: ${res.status} ${await res.text()}`);
  return (await json<{ id: string }>(res)).id;
}

async function send(id: string, sender: string, type: string, content: string): Promise<void> {
  const res = await call(`/api/chainbot/entanglements/${id}/messages`, {
    token: await token(["chainbot:entanglement:manage"]),
    body: { sender_id: sender, message_type: type, content },
  });
  if (res.status !== 201) throw new Error(`send: ${res.status} ${await res.text()}`);
}

const waiting = (e: { steps: { step_id: string; status: string }[] }) =>
  e.steps.some((s) => s.step_id === "w" && s.status === "waiting");

describe("wait until entanglement_message", () => {
  it("should resume with the first matching message as the step's output, ignoring the others", async ({ expect }) => {
    const [a, b] = [await agent("A"), await agent("B")];
    const ent = await entanglement([a, b]);
    const wf = await createWorkflow({
      name: "wait-msg",
      steps: [
        { id: "w", type: "wait", until: "entanglement_message", entanglement_id: ent, member: b, message_type: "data" },
        { id: "after", type: "transform", output: { got: "${w.message.content}" } },
      ],
    });
    const id = await execute(wf);
    await waitFor(id, waiting);
    await send(ent, a, "data", "from a");
    await send(ent, b, "status", "wrong type");
    // Neither matches: still waiting once the object has had the chance to notify.
    await new Promise((r) => setTimeout(r, 300));
    expect((await waitFor(id, waiting)).status).toBe("running");
    await send(ent, b, "data", "42");
    const done = await waitFor(id);
    expect(done.status).toBe("completed");
    const out = step(done, "w").output as { entanglement_id: string; message: Record<string, unknown> };
    expect(out.entanglement_id).toBe(ent);
    expect(out.message).toMatchObject({ sender_id: b, receiver_id: null, message_type: "data", content: "42" });
    expect(step(done, "after").output).toEqual({ got: "42" });
  });

  it("should fail the step with wait_timeout when no message comes in time", async ({ expect }) => {
    const a = await agent("A");
    const ent = await entanglement([a]);
    const wf = await createWorkflow({
      name: "wait-msg-timeout",
      steps: [{ id: "w", type: "wait", until: "entanglement_message", entanglement_id: ent, timeout: 1 }],
    });
    const done = await waitFor(await execute(wf));
    expect(done.status).toBe("failed");
    expect(step(done, "w")).toMatchObject({ status: "failed", error: { code: "wait_timeout" } });
  });

  it("should fail the step when the entanglement does not exist", async ({ expect }) => {
    const wf = await createWorkflow({
      name: "wait-msg-missing",
      steps: [{ id: "w", type: "wait", until: "entanglement_message", entanglement_id: "no-such-entanglement" }],
    });
    const done = await waitFor(await execute(wf));
    expect(done.status).toBe("failed");
    expect(step(done, "w").error?.code).toBe("entanglement_not_found");
  });

  it("should refuse a malformed entanglement wait at create with a 400 naming the step", async ({ expect }) => {
    const cases: [Record<string, unknown>, string][] = [
      [
        { until: "entanglement_message" },
        "steps[0] (w).entanglement_id: entanglement_id goes with until 'entanglement_message', and that needs an entanglement_id",
      ],
      [
        { until: "2030-01-01T00:00:00Z", entanglement_id: "e1" },
        "steps[0] (w).entanglement_id: entanglement_id goes with until 'entanglement_message', and that needs an entanglement_id",
      ],
      [
        { event: "go", member: "m1" },
        "steps[0] (w).member: member and message_type only filter a wait with until 'entanglement_message'",
      ],
    ];
    for (const [wait, message] of cases) {
      const res = await call("/api/chainbot/workflows", {
        body: { name: "bad", steps: [{ id: "w", type: "wait", ...wait }] },
        token: await ADMIN(),
      });
      expect(res.status).toBe(400);
      expect((await json<{ error: { message: string } }>(res)).error.message).toBe(message);
    }
  });
});
