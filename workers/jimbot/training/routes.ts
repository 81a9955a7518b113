/**
 * Training jobs and model metrics over HTTP (seed 002's RayRLlib REST side). `POST /api/v1/training/jobs`
 * turns a TrainingJobSpec into a BoTZ work item (integration `jimbot.training`, the spec's skill level, default
 * `agentic`), so a training-capable instance claims it with the registry's claims, leases and fencing;
 * `GET /api/v1/training/jobs/{id}` follows that work item; `GET /api/v1/models/{model_id}/metrics` serves what
 * trainers reported on `metrics.ray_rllib`.
 */
import { createRoute } from "@hono/zod-openapi";
import { botzRegistry } from "../../../durable-objects/botz-registry-client";
import type { WorkItem } from "../../../durable-objects/botz-registry-model";
import { requireScope } from "../../platform/auth/middleware";
import { AppError, unwrap } from "../../platform/errors";
import { bearerSecurity, errorResponses, jsonContent } from "../../platform/openapi";
import { createRouter } from "../../platform/validation";
import { readModelMetrics } from "./metrics-handler";
import {
  JobIdParamSchema,
  ModelIdParamSchema,
  ModelMetricsSchema,
  TrainingJobSchema,
  TrainingJobSpecSchema,
  type TrainingJobSpec,
} from "./schemas";

export const TRAINING_INTEGRATION = "jimbot.training";
const tags = ["jimbot"];

const submit = createRoute({
  method: "post",
  path: "/api/v1/training/jobs",
  tags,
  summary: "SubmitTrainingJob: queue a training job as a BoTZ work item for a training-capable instance",
  security: bearerSecurity,
  middleware: [requireScope("workitems:write")] as const,
  request: { body: { required: true, ...jsonContent(TrainingJobSpecSchema) } },
  responses: {
    201: { description: "Queued", ...jsonContent(TrainingJobSchema) },
    ...errorResponses(400, 401, 403, 415),
  },
});

const getJob = createRoute({
  method: "get",
  path: "/api/v1/training/jobs/{id}",
  tags,
  summary: "A training job's state, from its work item (pending, running while claimed, completed, failed)",
  security: bearerSecurity,
  middleware: [requireScope("workitems:read")] as const,
  request: { params: JobIdParamSchema },
  responses: {
    200: { description: "The job", ...jsonContent(TrainingJobSchema) },
    ...errorResponses(400, 401, 403, 404),
  },
});

const modelMetrics = createRoute({
  method: "get",
  path: "/api/v1/models/{model_id}/metrics",
  tags,
  summary: "GetModelMetrics: the latest value of each metric trainers reported for the model",
  security: bearerSecurity,
  middleware: [requireScope("models:read")] as const,
  request: { params: ModelIdParamSchema },
  responses: {
    200: { description: "Metrics", ...jsonContent(ModelMetricsSchema) },
    ...errorResponses(400, 401, 403, 404),
  },
});

function jobOf(item: WorkItem) {
  const parsed = TrainingJobSpecSchema.safeParse((item.payload as { spec?: unknown } | null)?.spec);
  if (item.integration_name !== TRAINING_INTEGRATION || !parsed.success) return null;
  const spec: TrainingJobSpec = parsed.data;
  return {
    job_id: item.work_item_id,
    model_id: spec.model_id,
    status: item.status === "claimed" ? ("running" as const) : item.status,
    spec,
    claimed_by: item.claimed_by,
    attempts: item.attempts,
    lease_expires_at: item.lease_expires_at,
    created_at: item.created_at,
    claimed_at: item.claimed_at,
    completed_at: item.completed_at,
    result: item.result,
    error: item.error,
  };
}

export const trainingRoutes = createRouter()
  .openapi(submit, async (c) => {
    const spec = c.req.valid("json");
    const registry = botzRegistry(c.env);
    const [id] = await registry.createWorkItems([
      {
        title: `train ${spec.model_id} (${spec.algorithm})`,
        integration_name: TRAINING_INTEGRATION,
        required_skill_level: spec.skill_level,
        priority: spec.priority,
        payload: { kind: "training_job", spec },
      },
    ]);
    if (id === undefined) throw new Error("the registry created no work item");
    const job = jobOf(unwrap(await registry.getWorkItem(id)).work_item);
    if (!job) throw new Error("the work item just created is not a training job");
    return c.json(job, 201);
  })
  .openapi(getJob, async (c) => {
    const { id } = c.req.valid("param");
    const found = await botzRegistry(c.env).getWorkItem(id);
    const job = found.ok ? jobOf(found.work_item) : null;
    if (!job) throw new AppError(404, "not_found", `no training job ${id}`);
    return c.json(job, 200);
  })
  .openapi(modelMetrics, async (c) => {
    const { model_id } = c.req.valid("param");
    const rows = await readModelMetrics(c.env, model_id);
    if (rows.length === 0) throw new AppError(404, "not_found", `no metrics reported for model ${model_id}`);
    const metrics = Object.fromEntries(
      rows.map((r) => [r.name, { value: r.value, step: r.step, reported_at: new Date(r.reported_at).toISOString() }]),
    );
    return c.json({ model_id, metrics }, 200);
  });
