/**
 * ChainBot executions through the Worker's entry: the seed's two examples run to completion (the right
 * branch for a high and a low quality score), transform / condition / api_call (secrets masked, the
 * idempotency key) / agent_task steps, the execution view and its 404, and the seed's workflow events.
 */
import { describe, it } from "vitest";
import seedConditional from "./fixtures/chainbot-seed-conditional.json";
import seedSequential from "./fixtures/chainbot-seed-sequential.json";
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

describe("POST /api/chainbot/workflows/{id}/execute", () => {
  it("should answer 202 with the execution id at once and run a transform sequence to completion", async ({
    expect,
  }) => {
    const wf = await createWorkflow({
      name: "math",
      steps: [
        { id: "a", type: "transform", output: { n: "${input.x} + 1" } },
        { id: "b", type: "transform", output: { double: "${a.n} * 2", label: "'n=' + string(${a.n})" } },
      ],
    });
    const res = await call(`/api/chainbot/workflows/${wf}/execute`, {
      body: { input_data: { x: 4 } },
      token: await CB_ADMIN(),
    });
    expect(res.status).toBe(202);
    const started = await json<{ execution_id: string; status: string; workflow_version: number }>(res);
    expect(started.execution_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(started.workflow_version).toBe(1);
    const done = await waitFor(started.execution_id);
    expect(done.status).toBe("completed");
    expect(done.steps_completed).toBe(2);
    expect(done.total_steps).toBe(2);
    expect(step(done, "a")).toMatchObject({ status: "completed", attempts: 1, output: { n: 5 } });
    expect(step(done, "b").output).toEqual({ double: 10, label: "n=5" });
    expect(done.output).toEqual({ a: { n: 5 }, b: { double: 10, label: "n=5" } });
  });

  it("should answer 404 for an unknown workflow and 400 for input_data that is not an object", async ({ expect }) => {
    const missing = await call("/api/chainbot/workflows/nope/execute", { body: {}, token: await CB_ADMIN() });
    expect(missing.status).toBe(404);
    expect((await json<{ error: { code: string } }>(missing)).error.code).toBe("workflow_not_found");
    const wf = await createWorkflow({ name: "t", steps: [{ id: "a", type: "transform", output: "1" }] });
    const bad = await call(`/api/chainbot/workflows/${wf}/execute`, {
      body: { input_data: [1] },
      token: await CB_ADMIN(),
    });
    expect(bad.status).toBe(400);
  });
});

describe("GET /api/chainbot/executions/{id}", () => {
  it("should answer 404 in the error shape for an unknown execution", async ({ expect }) => {
    const res = await call("/api/chainbot/executions/no-such-execution", { token: await CB_ADMIN() });
    expect(res.status).toBe(404);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe("execution_not_found");
  });
});

describe("condition steps", () => {
  it("should run the true branch and skip the false one, and the reverse", async ({ expect }) => {
    const wf = await createWorkflow({
      name: "branch",
      type: "conditional",
      steps: [
        { id: "c", type: "condition", expression: "${input.score} > 0.8", true_steps: ["hi"], false_steps: ["lo"] },
        { id: "hi", type: "transform", output: { path: "'high'" } },
        { id: "lo", type: "transform", output: { path: "'low'" } },
        { id: "after", type: "transform", output: { took: "${hi} != null ? 'hi' : 'lo'" } },
      ],
    });
    const high = await waitFor(await execute(wf, { score: 0.9 }));
    expect(high.status).toBe("completed");
    expect(step(high, "c").output).toEqual({ result: true });
    expect(step(high, "hi").status).toBe("completed");
    expect(step(high, "lo").status).toBe("skipped");
    expect(step(high, "after").output).toEqual({ took: "hi" });
    const low = await waitFor(await execute(wf, { score: 0.2 }));
    expect(step(low, "hi").status).toBe("skipped");
    expect(step(low, "lo").output).toEqual({ path: "low" });
    expect(step(low, "after").output).toEqual({ took: "lo" });
  });
});

describe("api_call steps", () => {
  it("should send the idempotency key and the secret, and mask the secret in the output", async ({ expect }) => {
    const t = tag("leak");
    const wf = await createWorkflow({
      name: "call",
      steps: [
        {
          id: "post",
          type: "api_call",
          method: "POST",
          url: upstream(`leak/${t}`),
          headers: { Authorization: "Bearer ${secret.CHAINBOT_TEST_TOKEN}" },
          body: { id: "${input.id}" },
        },
      ],
    });
    const id = await execute(wf, { id: 7 });
    const done = await waitFor(id);
    expect(done.status).toBe("completed");
    const calls = await received(`leak/${t}`);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.headers["idempotency-key"]).toBe(`${id}:post:1`);
    expect(calls[0]?.headers.authorization).toBe("Bearer cb-test-secret-77e1d0");
    expect(calls[0]?.body).toEqual({ id: 7 });
    const out = step(done, "post").output as { status: number; body: { authorization: string } };
    expect(out.status).toBe(200);
    expect(out.body.authorization).toBe("Bearer ***");
    expect(JSON.stringify(done)).not.toContain("cb-test-secret-77e1d0");
  });

  it("should fail at once, without retries, on a 404 and on a secret that is not allowed", async ({ expect }) => {
    const wf = await createWorkflow({
      name: "404",
      steps: [{ id: "get", type: "api_call", url: upstream(`status/404/${tag("nf")}`) }],
    });
    const done = await waitFor(await execute(wf));
    expect(done.status).toBe("failed");
    expect(step(done, "get")).toMatchObject({ status: "failed", attempts: 1, error: { code: "http_404" } });
    expect(done.error?.code).toBe("http_404");
    const wf2 = await createWorkflow({
      name: "secret",
      steps: [
        { id: "get", type: "api_call", url: upstream("echo/x"), headers: { "X-Key": "${secret.AUTH_JWT_SECRET}" } },
      ],
    });
    const refused = await waitFor(await execute(wf2));
    expect(step(refused, "get").error?.code).toBe("secret_not_found");
  });
});

describe("the seed's examples", () => {
  it("should run the Conditional Workflow through the high branch for a high score and the low one for a low", async ({
    expect,
  }) => {
    await useAgentModel();
    const wf = await createWorkflow(seedConditional);
    // The fake model echoes the user turn, whose last JSON object is the input: the score the agent "found".
    const high = await waitFor(await execute(wf, { quality_score: 0.93 }));
    expect(high.status).toBe("completed");
    expect(step(high, "step1").output).toEqual({ quality_score: 0.93 });
    expect(step(high, "condition1").output).toEqual({ result: true });
    expect(step(high, "step2_high_quality").status).toBe("completed");
    expect(step(high, "step2_low_quality").status).toBe("skipped");
    expect(high.steps_completed).toBe(3);
    expect(high.total_steps).toBe(4);
    const low = await waitFor(await execute(wf, { quality_score: 0.41 }));
    expect(low.status).toBe("completed");
    expect(step(low, "step2_high_quality").status).toBe("skipped");
    expect(step(low, "step2_low_quality").status).toBe("completed");
  });

  it("should run the Simple Sequential Workflow with the seed's ${api_token} from a Worker secret", async ({
    expect,
  }) => {
    await useAgentModel();
    const t = tag("seq");
    const def = structuredClone(seedSequential) as { steps: Record<string, unknown>[] };
    const last = def.steps[2];
    if (last) last.url = upstream(`leak/${t}`);
    const wf = await createWorkflow(def);
    const done = await waitFor(await execute(wf, { records: 3 }));
    expect(done.status).toBe("completed");
    expect(done.steps_completed).toBe(3);
    const calls = await received(`leak/${t}`);
    expect(calls[0]?.headers.authorization).toBe("Bearer seed-api-token-5f2a9c");
    expect(JSON.stringify(done)).not.toContain("seed-api-token-5f2a9c");
  });
});
