/**
 * Training jobs and model metrics (seed 002's RayRLlib SubmitTrainingJob / GetModelMetrics): the TrainingJobSpec
 * (which the seed names but does not spell out), the job as it is followed, the metrics report a trainer
 * publishes on the bus, and the metrics view.
 */
import { z } from "@hono/zod-openapi";
import { SKILL_LEVELS, type Json } from "../../../durable-objects/botz-registry-model";
import { boundedJson, MAX_JSON_DEPTH } from "../../platform/json-depth";

/** The seed's `max_memory_per_job: 6GB`. */
export const MAX_MEMORY_PER_JOB_MB = 6144;
// z.json() is recursive and overflows the OpenAPI generator: any JSON value, depth-bounded, as the BoTZ
// gateway's own schemas do.
const jsonValue = boundedJson().openapi({
  description: `Any JSON value, at most ${MAX_JSON_DEPTH} levels deep`,
}) as unknown as z.ZodType<Json>;
const modelId = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, "letters, digits, _ . : - (at most 128)");

export const TrainingJobSpecSchema = z
  .strictObject({
    model_id: modelId.openapi({ example: "balatro-ppo" }),
    algorithm: z.string().min(1).max(100).default("PPO").openapi({ example: "PPO" }),
    config: z.record(z.string().max(200), jsonValue).default({}).openapi({
      description: "Hyperparameters and environment settings, passed to the trainer as they are",
    }),
    skill_level: z.enum(SKILL_LEVELS).default("agentic").openapi({
      description: "The BoTZ skill level an instance needs to claim the job",
    }),
    priority: z.number().int().min(0).max(1000).default(0),
    max_memory_mb: z.number().int().min(1).max(MAX_MEMORY_PER_JOB_MB).default(MAX_MEMORY_PER_JOB_MB),
  })
  .openapi("TrainingJobSpec");

export type TrainingJobSpec = z.infer<typeof TrainingJobSpecSchema>;

export const TrainingJobSchema = z
  .object({
    job_id: z.string().openapi({ description: "The BoTZ work item carrying the job" }),
    model_id: z.string(),
    status: z.enum(["pending", "running", "completed", "failed"]),
    spec: TrainingJobSpecSchema,
    claimed_by: z.string().nullable(),
    attempts: z.number().int(),
    lease_expires_at: z.string().nullable(),
    created_at: z.string(),
    claimed_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    result: jsonValue,
    error: z.string().nullable(),
  })
  .openapi("TrainingJob");

export const JobIdParamSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: "id", in: "path" } }),
});

export const ModelIdParamSchema = z.object({
  model_id: modelId.openapi({ param: { name: "model_id", in: "path" } }),
});

/** What a trainer publishes on `metrics.ray_rllib` (EventType METRIC from source `ray_rllib`). */
export const ModelMetricsReportSchema = z.looseObject({
  model_id: modelId,
  metrics: z.record(z.string().min(1).max(200), z.number()).refine((m) => Object.keys(m).length <= 200, {
    message: "at most 200 metrics per report",
  }),
  step: z.number().int().nonnegative().optional(),
  job_id: z.string().max(200).optional(),
});

export const ModelMetricsSchema = z
  .object({
    model_id: z.string(),
    metrics: z.record(
      z.string(),
      z.object({ value: z.number(), step: z.number().int().nullable(), reported_at: z.iso.datetime() }),
    ),
  })
  .openapi("ModelMetrics");
