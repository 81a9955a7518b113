/**
 * ChainBot executions at their edges, through the Worker's entry: `max_concurrent_executions` exact under
 * concurrent execute calls with a FIFO queue, a stopped module refusing new executions while running ones
 * finish, the seed's `chainbot.workflow.*` events and step transitions on the bus, live tracking over a
 * WebSocket, the audit rows, and durability: an object evicted mid-step finishes with every completed
 * step run exactly once.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import type { WorkflowExecution } from "../../durable-objects/workflow-execution";
import { describe, it } from "vitest";
import { call, json, token } from "./helpers";
import {
  CB_ADMIN,
  createWorkflow,
  execute,
  getExecution,
  post,
  received,
  step,
  tag,
  upstream,
  waitFor,
} from "./chainbot-exec-support";

interface Started {
  execution_id: string;
  status: string;
  queue_position: number;
}

describe("max_concurrent_executions", () => {
  it("should run exactly the limit at once under concurrent execute calls and start the queue in FIFO order", async ({
    expect,
  }) => {
    const wf = await createWorkflow({
      name: "gate",
      max_concurrent_executions: 2,
      steps: [{ id: "w", type: "wait", event: "go", timeout: 3600 }],
    });
    const auth = await CB_ADMIN();
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        call(`/api/chainbot/workflows/${wf}/execute`, { body: { input_data: { i } }, token: auth }).then((r) =>
          json<Started>(r),
        ),
      ),
    );
    const running = answers.filter((a) => a.status === "running");
    const queued = answers.filter((a) => a.status === "queued");
    expect(running).toHaveLength(2);
    expect(queued.map((a) => a.queue_position).sort()).toEqual([1, 2, 3, 4]);
    const order = queued.sort((a, b) => a.queue_position - b.queue_position).map((a) => a.execution_id);

    const list = async (status: string) => {
      const res = await call(`/api/chainbot/workflows/${wf}/executions?status=${status}`, { token: auth });
      return (await json<{ executions: { execution_id: string }[] }>(res)).executions.map((e) => e.execution_id);
    };
    expect((await list("running")).sort()).toEqual(running.map((a) => a.execution_id).sort());
    expect(await list("queued")).toEqual([...order].reverse());

    // Finishing one running execution admits exactly the oldest queued one.
    const first = running[0]?.execution_id ?? "";
    await post(`/api/chainbot/executions/${first}/events`, { name: "go" });
    await waitFor(first);
    const next = order[0] ?? "";
    await waitFor(next, (e) => e.status === "running");
    expect((await getExecution(order[1] ?? "")).status).toBe("queued");
    await expect.poll(async () => (await list("running")).length).toBe(2);

    // Cancelling a running one frees its slot too; a cancelled queued one never starts.
    await post(`/api/chainbot/executions/${order[3] ?? ""}/cancel`);
    await post(`/api/chainbot/executions/${running[1]?.execution_id ?? ""}/cancel`);
    await waitFor(order[1] ?? "", (e) => e.status === "running");
    expect((await getExecution(order[3] ?? "")).status).toBe("cancelled");
    for (const id of [next, order[1] ?? "", order[2] ?? ""]) await post(`/api/chainbot/executions/${id}/cancel`);
    const page = await call(`/api/chainbot/workflows/${wf}/executions?limit=4`, { token: auth });
    const body = await json<{ executions: unknown[]; next_cursor: string | null }>(page);
    expect(body.executions).toHaveLength(4);
    const rest = await call(`/api/chainbot/workflows/${wf}/executions?limit=4&cursor=${body.next_cursor ?? ""}`, {
      token: auth,
    });
    expect((await json<{ executions: unknown[] }>(rest)).executions).toHaveLength(2);
  });
});

describe("a stopped ChainBot", () => {
  it("should refuse new executions with 503 and let a running one finish", async ({ expect }) => {
    const wf = await createWorkflow({ name: "stop", steps: [{ id: "w", type: "wait", event: "go", timeout: 3600 }] });
    const id = await execute(wf);
    await waitFor(id, (e) => e.status === "running");
    const admin = await token(["chainbot:admin"]);
    try {
      expect((await call("/api/chainbot/stop", { method: "POST", token: admin })).status).toBe(200);
      const refused = await call(`/api/chainbot/workflows/${wf}/execute`, { body: {}, token: admin });
      expect(refused.status).toBe(503);
      expect((await json<{ error: { code: string } }>(refused)).error.code).toBe("module_stopped");
      await post(`/api/chainbot/executions/${id}/events`, { name: "go" });
      expect((await waitFor(id)).status).toBe("completed");
    } finally {
      await call("/api/chainbot/start", { method: "POST", token: admin });
    }
  });
});

interface HistoryEvent {
  type: string;
  source: string;
  payload: Record<string, unknown>;
}

async function busEvents(subject: string, executionId: string): Promise<HistoryEvent[]> {
  const res = await call(`/api/v1/events?subject=${subject}&limit=1000`, { token: await token(["events:read"]) });
  if (res.status !== 200) throw new Error(`history: ${res.status} ${await res.text()}`);
  return (await json<{ events: HistoryEvent[] }>(res)).events.filter((e) => e.payload.execution_id === executionId);
}

describe("bus events", () => {
  it("should publish started and completed in the seed's Event Data Format, and step transitions", async ({
    expect,
  }) => {
    const wf = await createWorkflow({
      name: "events",
      steps: [
        { id: "a", type: "transform", output: "1" },
        { id: "b", type: "transform", output: "2" },
      ],
    });
    const id = await execute(wf);
    await waitFor(id);
    await expect
      .poll(async () => (await busEvents("chainbot.workflow.completed", id)).length, { timeout: 10_000 })
      .toBe(1);
    const [completed] = await busEvents("chainbot.workflow.completed", id);
    expect(completed?.source).toBe("chainbot");
    expect(Object.keys(completed?.payload ?? {}).sort()).toEqual([
      "duration",
      "execution_id",
      "module_id",
      "status",
      "steps_completed",
      "timestamp",
      "total_steps",
      "workflow_id",
    ]);
    expect(completed?.payload).toMatchObject({
      module_id: "chainbot",
      workflow_id: wf,
      execution_id: id,
      status: "completed",
      steps_completed: 2,
      total_steps: 2,
    });
    expect(typeof completed?.payload.duration).toBe("number");
    await expect.poll(async () => (await busEvents("chainbot.workflow.started", id)).length).toBe(1);
    const steps = await busEvents("chainbot.step.completed", id);
    expect(steps.map((e) => e.payload.step_id).sort()).toEqual(["a", "b"]);
  });

  it("should publish failed with the error, and never a secret", async ({ expect }) => {
    const wf = await createWorkflow({
      name: "failing",
      steps: [
        {
          id: "get",
          type: "api_call",
          url: upstream(`status/401/${tag("auth")}`),
          headers: { Authorization: "Bearer ${secret.CHAINBOT_TEST_TOKEN}" },
        },
      ],
    });
    const id = await execute(wf);
    await waitFor(id);
    await expect
      .poll(async () => (await busEvents("chainbot.workflow.failed", id)).length, { timeout: 10_000 })
      .toBe(1);
    const [failed] = await busEvents("chainbot.workflow.failed", id);
    expect(failed?.payload).toMatchObject({ status: "failed", error: { code: "http_401" } });
    const all = await busEvents("chainbot.>", id);
    expect(JSON.stringify(all)).not.toContain("cb-test-secret-77e1d0");
    const audit = await call(`/api/chainbot/audit?action=workflow.execute&resource=workflow:${wf}`, {
      token: await CB_ADMIN(),
    });
    const rows = await json<{ entries: { outcome: string; metadata: Record<string, unknown> }[] }>(audit);
    expect(rows.entries).toHaveLength(1);
    expect(rows.entries[0]?.metadata).toMatchObject({ execution_id: id });
    expect(JSON.stringify(rows)).not.toContain("cb-test-secret-77e1d0");
  });
});

describe("GET /api/chainbot/executions/{id}/live", () => {
  it("should send a snapshot and then each step transition as it happens", async ({ expect }) => {
    const wf = await createWorkflow({
      name: "live",
      steps: [
        { id: "w", type: "wait", event: "go", timeout: 3600 },
        { id: "t", type: "transform", output: "'done'" },
      ],
    });
    const id = await execute(wf);
    await waitFor(id, (e) => e.steps.some((s) => s.key === "w"));
    const res = await call(`/api/chainbot/executions/${id}/live`, {
      token: await CB_ADMIN(),
      headers: { upgrade: "websocket" },
    });
    expect(res.status).toBe(101);
    const ws = res.webSocket;
    if (!ws) throw new Error("no socket");
    const frames: Record<string, unknown>[] = [];
    ws.addEventListener("message", (m) => frames.push(JSON.parse(String(m.data)) as Record<string, unknown>));
    ws.accept();
    await post(`/api/chainbot/executions/${id}/events`, { name: "go" });
    await waitFor(id);
    await expect.poll(() => frames.some((f) => f.type === "execution" && f.status === "completed")).toBe(true);
    ws.close(1000, "bye");
    expect(frames[0]?.type).toBe("snapshot");
    const steps = frames.filter((f) => f.type === "step").map((f) => `${String(f.step_id)}:${String(f.status)}`);
    expect(steps).toEqual(["w:completed", "t:running", "t:completed"]);
  });

  it("should take a browser's token from the bearer.<token> subprotocol and answer botplane.chainbot only", async ({
    expect,
  }) => {
    const wf = await createWorkflow({
      name: "live-browser",
      steps: [{ id: "w", type: "wait", event: "go", timeout: 3600 }],
    });
    const id = await execute(wf);
    const reader = await token(["chainbot:read"]);
    const res = await call(`/api/chainbot/executions/${id}/live`, {
      headers: { upgrade: "websocket", "sec-websocket-protocol": `botplane.chainbot, bearer.${reader}` },
    });
    expect(res.status).toBe(101);
    expect(res.headers.get("sec-websocket-protocol")).toBe("botplane.chainbot");
    const ws = res.webSocket;
    if (!ws) throw new Error("no socket");
    const frames: { type?: string }[] = [];
    ws.addEventListener("message", (m) => frames.push(JSON.parse(String(m.data)) as { type?: string }));
    ws.accept();
    try {
      await expect.poll(() => frames[0]?.type).toBe("snapshot");
    } finally {
      ws.close(1000, "bye");
    }
    const noToken = await call(`/api/chainbot/executions/${id}/live`, {
      headers: { upgrade: "websocket", "sec-websocket-protocol": "botplane.chainbot" },
    });
    expect(noToken.status).toBe(401);
    // The query string is not a carrier here: a token there would end up in logs.
    const inQuery = await call(`/api/chainbot/executions/${id}/live?access_token=${reader}`, {
      headers: { upgrade: "websocket" },
    });
    expect(inQuery.status).toBe(401);
  });
});

/** Resets the object as a crash would: its in-flight alarm dies with it, and workerd runs the alarm again. */
async function abortObject(stub: DurableObjectStub<WorkflowExecution>): Promise<void> {
  try {
    await runInDurableObject(stub, (_: WorkflowExecution, state) => {
      state.abort("test: crash mid-step");
    });
  } catch {
    // The abort surfaces here too: that is the point.
  }
}

describe("durability", () => {
  it("should finish an execution evicted mid-step with each completed step run exactly once", async ({ expect }) => {
    const t = tag("dur");
    const wf = await createWorkflow({
      name: "durable",
      steps: [
        { id: "s1", type: "api_call", url: upstream(`echo/${t}-s1`) },
        { id: "s2", type: "api_call", url: upstream(`slow/800/${t}-s2`), retry_delay: 0.05 },
        { id: "s3", type: "api_call", url: upstream(`echo/${t}-s3`) },
        { id: "s4", type: "api_call", url: upstream(`slow/800/${t}-s4`), retry_delay: 0.05 },
        { id: "s5", type: "api_call", url: upstream(`echo/${t}-s5`) },
      ],
    });
    const id = await execute(wf);
    // Evicted while s2 is in flight, and again while s4 is.
    for (const key of ["s2", "s4"]) {
      await waitFor(id, (e) => e.steps.some((s) => s.key === key && s.status === "running"), 10_000);
      // A fresh stub each time: the one the first crash broke would not reach the object again.
      await abortObject(env.WORKFLOW_EXECUTION.getByName(id));
    }
    const done = await waitFor(id, undefined, 20_000);
    expect(done.status).toBe("completed");
    for (const key of ["s1", "s3", "s5"]) expect(await received(`echo/${t}-${key}`)).toHaveLength(1);
    // The step in flight at the eviction ran again (at least once), under a new idempotency key.
    for (const key of ["s2", "s4"]) {
      const calls = await received(`slow/800/${t}-${key}`);
      expect(calls.length).toBeGreaterThanOrEqual(1);
      expect(new Set(calls.map((c) => c.headers["idempotency-key"])).size).toBe(calls.length);
      // Its first attempt was committed as begun before the crash, so the re-run is attempt 2.
      expect(step(done, key)).toMatchObject({ status: "completed", attempts: 2 });
    }
  });

  it("should survive a crash while waiting for an event and while waiting to retry", async ({ expect }) => {
    const t = tag("dur-wait");
    const wf = await createWorkflow({
      name: "durable-waits",
      steps: [
        { id: "first", type: "api_call", url: upstream(`echo/${t}-first`) },
        { id: "w", type: "wait", event: "go", timeout: 3600 },
        { id: "retry", type: "api_call", url: upstream(`flaky/1/${t}-retry`), retry_delay: 1 },
      ],
    });
    const id = await execute(wf);
    await waitFor(id, (e) => e.steps.some((s) => s.key === "w" && s.status === "waiting"));
    await abortObject(env.WORKFLOW_EXECUTION.getByName(id));
    await post(`/api/chainbot/executions/${id}/events`, { name: "go" });
    await waitFor(id, (e) => e.steps.some((s) => s.key === "retry" && s.status !== "running"));
    await abortObject(env.WORKFLOW_EXECUTION.getByName(id));
    const done = await waitFor(id, undefined, 20_000);
    expect(done.status).toBe("completed");
    expect(await received(`echo/${t}-first`)).toHaveLength(1);
    expect(step(done, "w").status).toBe("completed");
    // One failed attempt, one retry: the crash during the backoff added none.
    expect(await received(`flaky/1/${t}-retry`)).toHaveLength(2);
    expect(step(done, "retry")).toMatchObject({ status: "completed", attempts: 2 });
  });
});
