/**
 * ChainBot step types beyond the straight line, through the Worker's entry: loops (for-each, while, their
 * bounds), parallel (join all / any), wait (duration, event, approval, their timeouts), sub_workflow, and
 * the retry policy (retries, backoff, non-retryable errors, per-step and workflow timeouts).
 */
import { describe, it } from "vitest";
import { retryDelayMs } from "../../workers/chainbot/executions/step-errors";
import type { Step } from "../../workers/chainbot/workflows/definition-schema";
import { json } from "./helpers";
import {
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

describe("loop steps", () => {
  it("should run the body once per item with ${item} and ${index}, and expose the last iteration", async ({
    expect,
  }) => {
    const wf = await createWorkflow({
      name: "each",
      steps: [
        { id: "l", type: "loop", for_each: "${input.items}", steps: ["x"], max_iterations: 10 },
        { id: "x", type: "transform", output: { v: "${item} * 10", i: "${index}" } },
        { id: "after", type: "transform", output: "${x}.v" },
      ],
    });
    const done = await waitFor(await execute(wf, { items: [1, 2, 3] }));
    expect(done.status).toBe("completed");
    expect(step(done, "l").output).toEqual({
      iterations: 3,
      results: [{ x: { v: 10, i: 0 } }, { x: { v: 20, i: 1 } }, { x: { v: 30, i: 2 } }],
    });
    expect(step(done, "l[1]/x").output).toEqual({ v: 20, i: 1 });
    expect(step(done, "after").output).toBe(30);
  });

  it("should stop a while loop at max_iterations and fail a for_each longer than it", async ({ expect }) => {
    const wf = await createWorkflow({
      name: "while",
      steps: [
        { id: "l", type: "loop", while: "${input.go}", steps: ["tick"], max_iterations: 4 },
        { id: "tick", type: "transform", output: "1" },
      ],
    });
    const bounded = await waitFor(await execute(wf, { go: true }));
    expect(bounded.status).toBe("completed");
    expect(step(bounded, "l").output).toMatchObject({ iterations: 4, exhausted: true });
    expect(bounded.steps.filter((s) => s.step_id === "tick")).toHaveLength(4);
    const none = await waitFor(await execute(wf, { go: false }));
    expect(step(none, "l").output).toEqual({ iterations: 0, results: [] });
    const wf2 = await createWorkflow({
      name: "each-too-many",
      steps: [
        { id: "l", type: "loop", for_each: "${input.items}", steps: ["t"], max_iterations: 2 },
        { id: "t", type: "transform", output: "1" },
      ],
    });
    const over = await waitFor(await execute(wf2, { items: [1, 2, 3] }));
    expect(over.status).toBe("failed");
    expect(over.error?.code).toBe("max_iterations_exceeded");
  });
});

describe("parallel steps", () => {
  it("should run branches side by side and join all", async ({ expect }) => {
    const t = tag("par");
    const wf = await createWorkflow({
      name: "all",
      steps: [
        { id: "p", type: "parallel", branches: [["a"], ["b"]] },
        { id: "a", type: "api_call", url: upstream(`slow/300/${t}-a`) },
        { id: "b", type: "api_call", url: upstream(`slow/300/${t}-b`) },
      ],
    });
    const done = await waitFor(await execute(wf));
    expect(done.status).toBe("completed");
    expect(step(done, "a").status).toBe("completed");
    expect(step(done, "b").status).toBe("completed");
    expect(step(done, "p").output).toEqual({ join: "all", branches: 2 });
    // Side by side: each branch started before the other finished.
    const a = step(done, "a");
    const b = step(done, "b");
    const ms = (iso: string | null) => Date.parse(iso ?? "");
    expect(ms(a.started_at) < ms(b.finished_at) && ms(b.started_at) < ms(a.finished_at)).toBe(true);
  });

  it("should finish a join-any parallel with the first branch and skip the others", async ({ expect }) => {
    const wf = await createWorkflow({
      name: "any",
      steps: [
        { id: "p", type: "parallel", branches: [["fast"], ["slow"]], join: "any" },
        { id: "fast", type: "transform", output: "'won'" },
        { id: "slow", type: "wait", event: "never", timeout: 3600 },
      ],
    });
    const done = await waitFor(await execute(wf));
    expect(done.status).toBe("completed");
    expect(step(done, "p").output).toEqual({ join: "any", winner: 0 });
    expect(step(done, "fast").output).toBe("won");
    expect(step(done, "slow").status).toBe("skipped");
  });
});

describe("wait steps", () => {
  it("should complete a wait for an event with its payload, and fail one whose timeout passes", async ({ expect }) => {
    const wf = await createWorkflow({
      name: "event",
      steps: [
        { id: "w", type: "wait", event: "payment_received", timeout: 3600 },
        { id: "t", type: "transform", output: "${w.payload.amount}" },
      ],
    });
    const id = await execute(wf);
    await waitFor(id, (e) => e.steps.some((s) => s.key === "w" && s.status === "waiting"));
    const sent = await post(`/api/chainbot/executions/${id}/events`, {
      name: "payment_received",
      payload: { amount: 42 },
    });
    expect(sent.status).toBe(202);
    const done = await waitFor(id);
    expect(done.status).toBe("completed");
    expect(step(done, "w").output).toMatchObject({
      event: "payment_received",
      payload: { amount: 42 },
      by: "cb-exec-admin",
    });
    expect(step(done, "t").output).toBe(42);

    const wf2 = await createWorkflow({ name: "late", steps: [{ id: "w", type: "wait", event: "x", timeout: 0.3 }] });
    const late = await waitFor(await execute(wf2));
    expect(late.status).toBe("failed");
    expect(step(late, "w").error?.code).toBe("wait_timeout");
  });

  it("should wait until the time a template gives, and fail on one that is not a time", async ({ expect }) => {
    const wf = await createWorkflow({
      name: "until",
      steps: [
        { id: "w", type: "wait", until: "${input.at}" },
        { id: "t", type: "transform", output: "'woke'" },
      ],
    });
    const at = new Date(Date.now() + 400).toISOString();
    const id = await execute(wf, { at });
    const done = await waitFor(id);
    expect(done.status).toBe("completed");
    expect(step(done, "w").output).toEqual({ waited_until: at });
    // The next step began no earlier than the time waited for.
    expect(Date.parse(step(done, "t").started_at ?? "")).toBeGreaterThanOrEqual(Date.parse(at));
    const bad = await waitFor(await execute(wf, { at: "next tuesday" }));
    expect(bad.status).toBe("failed");
    expect(step(bad, "w").error?.code).toBe("invalid_time");
  });

  it("should take an event sent before the wait step was reached", async ({ expect }) => {
    const wf = await createWorkflow({
      name: "early",
      steps: [
        { id: "pause", type: "wait", duration: 0.3 },
        { id: "w", type: "wait", event: "go", timeout: 3600 },
      ],
    });
    const id = await execute(wf);
    expect((await post(`/api/chainbot/executions/${id}/events`, { name: "go" })).status).toBe(202);
    const done = await waitFor(id);
    expect(done.status).toBe("completed");
    expect(step(done, "w").output).toMatchObject({ event: "go" });
  });

  it("should pass an approval's decision on, and fail an approval that never comes", async ({ expect }) => {
    const wf = await createWorkflow({
      name: "approve",
      steps: [
        { id: "ok", type: "wait", approval: { message: "Ship it?" }, timeout: 3600 },
        { id: "gate", type: "condition", expression: "${ok.approved}", true_steps: ["ship"], false_steps: [] },
        { id: "ship", type: "transform", output: "'shipped'" },
      ],
    });
    const id = await execute(wf);
    await waitFor(id, (e) => e.steps.some((s) => s.key === "ok" && s.status === "waiting"));
    const res = await post(`/api/chainbot/executions/${id}/approve`, { decision: "rejected", comment: "not today" });
    expect(res.status).toBe(202);
    const done = await waitFor(id);
    expect(done.status).toBe("completed");
    expect(step(done, "ok").output).toMatchObject({ decision: "rejected", approved: false, comment: "not today" });
    expect(step(done, "ship").status).toBe("skipped");

    const wf2 = await createWorkflow({
      name: "nobody",
      steps: [{ id: "ok", type: "wait", approval: {}, timeout: 0.3 }],
    });
    const timedOut = await waitFor(await execute(wf2));
    expect(step(timedOut, "ok").error?.code).toBe("wait_timeout");
  });
});

describe("sub_workflow steps", () => {
  it("should start the child with its input and take the child's result as the step's output", async ({ expect }) => {
    const child = await createWorkflow({
      name: "child",
      steps: [{ id: "sq", type: "transform", output: { square: "${input.n} * ${input.n}" } }],
    });
    const parent = await createWorkflow({
      name: "parent",
      steps: [
        { id: "c", type: "sub_workflow", workflow_id: child, input: { n: "${input.n}" } },
        { id: "t", type: "transform", output: "${c.sq.square} + 1" },
      ],
    });
    const done = await waitFor(await execute(parent, { n: 7 }));
    expect(done.status).toBe("completed");
    expect(step(done, "c").output).toEqual({ sq: { square: 49 } });
    expect(step(done, "t").output).toBe(50);
  });

  it("should fail the parent's step when the child fails", async ({ expect }) => {
    const child = await createWorkflow({
      name: "bad-child",
      steps: [{ id: "get", type: "api_call", url: upstream(`status/400/${tag("child")}`) }],
    });
    const parent = await createWorkflow({ name: "p", steps: [{ id: "c", type: "sub_workflow", workflow_id: child }] });
    const done = await waitFor(await execute(parent));
    expect(done.status).toBe("failed");
    expect(step(done, "c").error?.code).toBe("sub_workflow_failed");
  });
});

describe("retries", () => {
  it("should retry a failing step until it passes, with a new idempotency key per attempt", async ({ expect }) => {
    const t = tag("flaky");
    const wf = await createWorkflow({
      name: "flaky",
      steps: [{ id: "get", type: "api_call", url: upstream(`flaky/2/${t}`), retry_delay: 0.05, retry_attempts: 3 }],
    });
    const id = await execute(wf);
    const done = await waitFor(id);
    expect(done.status).toBe("completed");
    expect(step(done, "get")).toMatchObject({ status: "completed", attempts: 3 });
    const calls = await received(`flaky/2/${t}`);
    expect(calls.map((c) => c.headers["idempotency-key"])).toEqual([`${id}:get:1`, `${id}:get:2`, `${id}:get:3`]);
  });

  it("should fail after retry_attempts retries, and at once on a non_retryable_errors code", async ({ expect }) => {
    const t = tag("down");
    const wf = await createWorkflow({
      name: "down",
      steps: [{ id: "get", type: "api_call", url: upstream(`status/500/${t}`), retry_delay: 0.05, retry_attempts: 2 }],
    });
    const done = await waitFor(await execute(wf));
    expect(done.status).toBe("failed");
    expect(step(done, "get")).toMatchObject({ status: "failed", attempts: 3, error: { code: "http_500" } });
    expect(await received(`status/500/${t}`)).toHaveLength(3);

    const t2 = tag("nonretry");
    const wf2 = await createWorkflow({
      name: "nonretry",
      steps: [
        {
          id: "get",
          type: "api_call",
          url: upstream(`flaky/1/${t2}`),
          retry_delay: 0.05,
          non_retryable_errors: ["http_503"],
        },
      ],
    });
    const once = await waitFor(await execute(wf2));
    expect(step(once, "get")).toMatchObject({ status: "failed", attempts: 1, error: { code: "http_503" } });
    expect(await received(`flaky/1/${t2}`)).toHaveLength(1);
  });

  it("should space attempts exponentially by default, linearly or constantly when asked, capped", ({ expect }) => {
    const s = (extra: Record<string, unknown>) => ({ id: "s", type: "transform", output: "1", ...extra }) as Step;
    expect([1, 2, 3, 4].map((a) => retryDelayMs(s({}), a))).toEqual([1000, 2000, 4000, 8000]);
    expect([1, 2, 3].map((a) => retryDelayMs(s({ retry_delay: 2, backoff: "linear" }), a))).toEqual([2000, 4000, 6000]);
    expect([1, 3].map((a) => retryDelayMs(s({ retry_delay: 0.5, backoff: "constant" }), a))).toEqual([500, 500]);
    expect(retryDelayMs(s({ retry_delay: 10, max_retry_delay: 15 }), 3)).toBe(15000);
  });

  it("should wait the backoff delay before the next attempt", async ({ expect }) => {
    const t = tag("gap");
    const wf = await createWorkflow({
      name: "gap",
      steps: [{ id: "get", type: "api_call", url: upstream(`flaky/1/${t}`), retry_delay: 1 }],
    });
    const id = await execute(wf);
    const retrying = await waitFor(id, (e) => e.steps.some((x) => x.status === "retrying" || x.status === "completed"));
    const r = step(retrying, "get");
    expect(r.status).toBe("retrying");
    expect(r.error?.code).toBe("http_503");
    expect(r.next_attempt_at).not.toBeNull();
    const done = await waitFor(id);
    expect(step(done, "get").attempts).toBe(2);
    expect(step(done, "get").duration_ms ?? 0).toBeGreaterThanOrEqual(1000);
  });
});

describe("timeouts", () => {
  it("should fail an attempt that runs past the step's timeout", async ({ expect }) => {
    const wf = await createWorkflow({
      name: "slow",
      steps: [
        { id: "get", type: "api_call", url: upstream(`slow/3000/${tag("slow")}`), timeout: 0.3, retry_attempts: 0 },
      ],
    });
    const done = await waitFor(await execute(wf));
    expect(done.status).toBe("failed");
    expect(step(done, "get").error?.code).toBe("step_timeout");
  });

  it("should fail the execution with workflow_timeout once default_timeout_hours pass", async ({ expect }) => {
    const wf = await createWorkflow({
      name: "long",
      default_timeout_hours: 0.0001,
      steps: [{ id: "w", type: "wait", duration: 60 }],
    });
    const done = await waitFor(await execute(wf));
    expect(done.status).toBe("failed");
    expect(done.error?.code).toBe("workflow_timeout");
  });
});

describe("POST /api/chainbot/executions/{id}/cancel|pause|resume", () => {
  it("should cancel a waiting execution, and refuse a second cancel with 409", async ({ expect }) => {
    const wf = await createWorkflow({ name: "c", steps: [{ id: "w", type: "wait", event: "never" }] });
    const id = await execute(wf);
    await waitFor(id, (e) => e.status === "running");
    const res = await post(`/api/chainbot/executions/${id}/cancel`);
    expect(res.status).toBe(200);
    expect((await json<{ status: string }>(res)).status).toBe("cancelled");
    const again = await post(`/api/chainbot/executions/${id}/cancel`);
    expect(again.status).toBe(409);
    expect((await json<{ error: { code: string } }>(again)).error.code).toBe("execution_finished");
  });

  it("should hold the next step while paused and go on after resume", async ({ expect }) => {
    const wf = await createWorkflow({
      name: "p",
      steps: [
        { id: "w", type: "wait", event: "go", timeout: 3600 },
        { id: "t", type: "transform", output: "'after'" },
      ],
    });
    const id = await execute(wf);
    await waitFor(id, (e) => e.steps.some((s) => s.key === "w" && s.status === "waiting"));
    const paused = await post(`/api/chainbot/executions/${id}/pause`);
    expect(paused.status).toBe(200);
    expect((await json<{ status: string }>(paused)).status).toBe("paused");
    // The event arrives while paused: it is kept, but nothing runs until resume.
    expect((await post(`/api/chainbot/executions/${id}/events`, { name: "go" })).status).toBe(202);
    await new Promise((r) => setTimeout(r, 500));
    const held = await getExecution(id);
    expect(held.status).toBe("paused");
    expect(step(held, "w").status).toBe("waiting");
    expect(held.steps.some((s) => s.key === "t")).toBe(false);
    expect((await post(`/api/chainbot/executions/${id}/pause`)).status).toBe(409);
    expect((await post(`/api/chainbot/executions/${id}/resume`)).status).toBe(200);
    const done = await waitFor(id);
    expect(done.status).toBe("completed");
    expect(step(done, "t").output).toBe("after");
  });
});
