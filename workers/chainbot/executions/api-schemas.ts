/**
 * zod schemas of the execution routes' parameters, bodies and answers, and the presenter from the
 * execution object's view to the wire's snake_case.
 */
import { z } from "@hono/zod-openapi";
import {
  EXECUTION_STATUSES,
  STEP_STATUSES,
  type ExecutionView,
} from "../../../durable-objects/workflow-execution-contract";
import { boundedJson } from "../../platform/json-depth";

const json = boundedJson();

export const ExecutionIdParamSchema = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "an execution id is 1–64 letters, digits, _ or -")
    .openapi({ param: { name: "id", in: "path" }, example: "6f1c2b9e-8a4d-4c47-9d0e-2b5a1f3c7e9d" }),
});

export const ExecuteBodySchema = z
  .strictObject({
    input_data: z
      .record(z.string(), json)
      .default({})
      .openapi({ example: { param1: "value1" } }),
    version: z.number().int().min(1).optional().openapi({ description: "Pin an older version; absent → the latest" }),
  })
  .openapi("ExecuteWorkflow");

export const ExecuteAnswerSchema = z
  .object({
    execution_id: z.string(),
    workflow_id: z.string(),
    workflow_version: z.number().int(),
    status: z.enum(EXECUTION_STATUSES).openapi({ description: "running, or queued behind max_concurrent_executions" }),
    queue_position: z.number().int().openapi({ description: "1-based place in the queue; 0 when running" }),
  })
  .openapi("ExecutionStarted");

export const EventBodySchema = z
  .strictObject({
    name: z.string().min(1).max(200).openapi({ example: "payment_received" }),
    payload: json.optional(),
  })
  .openapi("ExecutionEvent");

export const ApproveBodySchema = z
  .strictObject({
    decision: z.enum(["approved", "rejected"]).default("approved"),
    comment: z.string().max(2_000).optional(),
    step_id: z.string().min(1).max(64).optional().openapi({ description: "The wait step; absent → the next one" }),
  })
  .openapi("ExecutionApproval");

export const ExecutionListQuerySchema = z.object({
  status: z.enum(EXECUTION_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).optional(),
});

const ErrorFieldSchema = z.object({ code: z.string(), message: z.string() }).nullable();
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const StepViewSchema = z.object({
  key: z.string().openapi({ description: "The step id, prefixed by its loop iteration (`loop1[2]/each`)" }),
  step_id: z.string(),
  type: z.string(),
  status: z.enum(STEP_STATUSES),
  attempts: z.number().int(),
  output: z.unknown(),
  error: ErrorFieldSchema,
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  duration_ms: z.number().nullable(),
  next_attempt_at: z.string().nullable(),
});

export const ExecutionSchema = z
  .object({
    execution_id: z.string(),
    workflow_id: z.string(),
    workflow_version: z.number().int(),
    status: z.enum(EXECUTION_STATUSES),
    input_data: z.unknown(),
    output: z.unknown(),
    error: ErrorFieldSchema,
    steps_completed: z.number().int(),
    total_steps: z.number().int(),
    created_by: z.string(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    deadline_at: z.string().nullable(),
    duration: z.number().nullable().openapi({ description: "Seconds from start to finish (or to now)" }),
    parent_execution_id: z.string().nullable(),
    steps: z.array(StepViewSchema),
  })
  .openapi("Execution");

export const ExecutionListSchema = z
  .object({
    executions: z.array(
      z.object({
        execution_id: z.string(),
        status: z.enum(EXECUTION_STATUSES),
        created_at: z.string(),
        updated_at: z.string(),
      }),
    ),
    next_cursor: z.string().nullable(),
  })
  .openapi("ExecutionList");

export function presentExecution(v: ExecutionView, now: number): z.infer<typeof ExecutionSchema> {
  const end = v.finishedAt ?? now;
  return {
    execution_id: v.id,
    workflow_id: v.workflowId,
    workflow_version: v.workflowVersion,
    status: v.status,
    input_data: v.input,
    output: v.output,
    error: v.error,
    steps_completed: v.stepsCompleted,
    total_steps: v.totalSteps,
    created_by: v.createdBy,
    created_at: new Date(v.createdAt).toISOString(),
    started_at: iso(v.startedAt),
    finished_at: iso(v.finishedAt),
    deadline_at: iso(v.deadlineAt),
    duration: v.startedAt === null ? null : Math.round((end - v.startedAt) / 100) / 10,
    parent_execution_id: v.parent?.executionId ?? null,
    steps: v.steps.map((s) => ({
      key: s.key,
      step_id: s.stepId,
      type: s.type,
      status: s.status,
      attempts: s.attempts,
      output: s.output,
      error: s.error,
      started_at: iso(s.startedAt),
      finished_at: iso(s.finishedAt),
      duration_ms: s.durationMs,
      next_attempt_at: iso(s.nextAttemptAt),
    })),
  };
}
