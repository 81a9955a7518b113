/**
 * JimBot training (seed 002's RayRLlib REST side) through the Worker's entry: a TrainingJobSpec becomes a BoTZ
 * work item only an instance of the spec's skill level (default `agentic`) can claim, the job follows the claim
 * and completion, and the metrics a trainer reports on `metrics.ray_rllib` (bus, exactly once, newest wins)
 * are served by `GET /api/v1/models/{model_id}/metrics`.
 */
import { describe, it } from "vitest";
import { createEvent } from "../../workers/platform/bus/envelope";
import { ADMIN, call, json, registerBot, token, uniqueId } from "./helpers";
import { deliverToBus } from "./support/queue";

interface Job {
  job_id: string;
  model_id: string;
  status: string;
  spec: Record<string, unknown>;
  claimed_by: string | null;
  attempts: number;
  result: unknown;
}

async function submit(body: unknown): Promise<Response> {
  return call("/api/v1/training/jobs", { token: await token(["workitems:write"]), body });
}

async function job(id: string): Promise<Job> {
  const res = await call(`/api/v1/training/jobs/${id}`, { token: await token(["workitems:read"]) });
  if (res.status !== 200) throw new Error(`job: ${res.status} ${await res.text()}`);
  return json<Job>(res);
}

describe("POST /api/v1/training/jobs", () => {
  it("should queue the spec as a work item an agentic instance claims, and follow it to completion", async ({
    expect,
  }) => {
    const model = uniqueId("ppo");
    const res = await submit({ model_id: model, config: { lr: 0.0003, env: "balatro" } });
    expect(res.status).toBe(201);
    const created = await json<Job>(res);
    expect(created).toMatchObject({
      model_id: model,
      status: "pending",
      claimed_by: null,
      attempts: 0,
      spec: {
        model_id: model,
        algorithm: "PPO",
        config: { lr: 0.0003, env: "balatro" },
        skill_level: "agentic",
        priority: 0,
        max_memory_mb: 6144,
      },
    });

    const admin = await ADMIN();
    // A basic instance may not claim it; an agentic one may.
    const basic = await registerBot("basic", admin);
    const denied = await call("/v1/workitems/claim", {
      token: admin,
      body: { botz_id: basic, work_item_id: created.job_id },
    });
    expect(denied.status).toBe(403);
    const trainer = await registerBot("agentic", admin);
    const claimed = await call("/v1/workitems/claim", {
      token: admin,
      body: { botz_id: trainer, work_item_id: created.job_id },
    });
    expect(claimed.status).toBe(200);
    const claim = await json<{ fencing_token: number; work_item: { payload: unknown } }>(claimed);
    expect(claim.work_item.payload).toMatchObject({ kind: "training_job", spec: { model_id: model } });
    expect(await job(created.job_id)).toMatchObject({ status: "running", claimed_by: trainer, attempts: 1 });

    const done = await call("/v1/workitems/complete", {
      token: admin,
      body: {
        work_item_id: created.job_id,
        botz_id: trainer,
        fencing_token: claim.fencing_token,
        result: { checkpoint: "s3://models/ppo/1" },
      },
    });
    expect(done.status).toBe(200);
    expect(await job(created.job_id)).toMatchObject({
      status: "completed",
      result: { checkpoint: "s3://models/ppo/1" },
    });
  });

  it("should refuse a bad spec with 400 naming the field, and 404 a job that is not one", async ({ expect }) => {
    const big = await submit({ model_id: "m", max_memory_mb: 6145 });
    expect(big.status).toBe(400);
    expect((await json<{ error: { message: string } }>(big)).error.message).toContain("body.max_memory_mb");
    expect((await submit({ model_id: "bad id!" })).status).toBe(400);
    expect((await submit({ model_id: "m", unknown: 1 })).status).toBe(400);
    const missing = await call("/api/v1/training/jobs/nope", { token: await token(["workitems:read"]) });
    expect(missing.status).toBe(404);
  });
});

describe("GET /api/v1/models/{model_id}/metrics", () => {
  function report(model: string, metrics: Record<string, number>, step: number, at: number) {
    return createEvent({
      type: "metrics.ray_rllib",
      source: "ray_rllib",
      payload: { model_id: model, metrics, step },
      now: at,
    });
  }

  it("should serve the newest reported value of each metric, applying each report once", async ({ expect }) => {
    const model = uniqueId("metrics-model");
    const read = await token(["models:read"]);
    expect((await call(`/api/v1/models/${model}/metrics`, { token: read })).status).toBe(404);
    const t = Date.parse("2026-01-01T00:00:00Z");
    const newer = report(model, { episode_reward_mean: 12.5, loss: 0.25 }, 20, t + 1000);
    const older = report(model, { episode_reward_mean: 3, entropy: 1.5 }, 10, t);
    const { outcomes } = await deliverToBus([newer, older]);
    expect(outcomes).toEqual(["acked", "acked"]);
    await deliverToBus([newer]);
    const res = await call(`/api/v1/models/${model}/metrics`, { token: read });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      model_id: model,
      metrics: {
        entropy: { value: 1.5, step: 10, reported_at: "2026-01-01T00:00:00.000Z" },
        episode_reward_mean: { value: 12.5, step: 20, reported_at: "2026-01-01T00:00:01.000Z" },
        loss: { value: 0.25, step: 20, reported_at: "2026-01-01T00:00:01.000Z" },
      },
    });
  });

  it("should dead-letter a report that is not a ModelMetricsReport", async ({ expect }) => {
    const bad = createEvent({ type: "metrics.ray_rllib", source: "ray_rllib", payload: { metrics: { a: 1 } } });
    const { outcomes } = await deliverToBus([bad]);
    expect(outcomes).toEqual(["acked"]);
    const letters = await call("/api/v1/dead-letters?limit=100", { token: await ADMIN() });
    const body = await json<{ dead_letters?: { error: string }[]; items?: { error: string }[] }>(letters);
    const all = body.dead_letters ?? body.items ?? [];
    expect(all.some((l) => l.error.includes("payload.model_id"))).toBe(true);
  });
});
