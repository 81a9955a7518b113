/**
 * The workflow definition as JSON (seed 004's "Workflow Examples", verbatim field names) and its step types.
 * The seed's two examples parse as written. Workflow-level settings the seed gives defaults for
 * (`default_timeout_hours` 1, `max_concurrent_executions` 5, `retry_attempts` 3) stay absent when the
 * definition omits them, so the stored snapshot is what the author wrote and the config levels decide the
 * default; `workflowSettings` resolves them.
 */
import { z } from "@hono/zod-openapi";
import { boundedJson } from "../../platform/json-depth";
import { MESSAGE_TYPES } from "../../../durable-objects/entanglement-contract";
import type { Json } from "../expressions/cel-values";

export const STEP_TYPES = [
  "agent_task",
  "api_call",
  "condition",
  "loop",
  "parallel",
  "wait",
  "sub_workflow",
  "transform",
] as const;
export type StepType = (typeof STEP_TYPES)[number];

/** Seed 004's four agent types. */
export const AGENT_TYPES = ["assistant", "data_processor", "api", "workflow"] as const;

/** Names a `${…}` reference may start with besides a step id; no step may take them. */
export const RESERVED_ROOTS = ["input", "item", "index", "secret"] as const;

export const MAX_STEPS = 200;

const json = boundedJson() as unknown as z.ZodType<Json>;
const stepId = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/, "a step id is a letter or _ then up to 63 letters, digits, _ or -");
const stepIds = z.array(z.string().max(64)).max(MAX_STEPS);
const expression = z.string().min(1).max(4_000);
const seconds = z
  .number()
  .positive()
  .max(365 * 24 * 3600);

/** Retry and timeout fields every step may carry (seconds). */
const stepCommon = {
  id: stepId.openapi({ example: "step1" }),
  name: z.string().max(200).optional(),
  description: z.string().max(2_000).optional(),
  retry_attempts: z.number().int().min(0).max(20).optional().openapi({
    description: "Retries after the first attempt; absent → the workflow's retry_attempts",
  }),
  retry_delay: seconds.optional().openapi({ description: "Seconds before the first retry (default 1)" }),
  backoff: z.enum(["constant", "linear", "exponential"]).optional().openapi({ description: "Default exponential" }),
  max_retry_delay: seconds.optional().openapi({ description: "Cap on the delay between attempts, seconds" }),
  timeout: seconds.optional().openapi({ description: "Seconds per attempt" }),
  non_retryable_errors: z
    .array(z.string().min(1).max(200))
    .max(50)
    .optional()
    .openapi({ description: "Error codes (e.g. http_404, agent_refused) that fail the step at once" }),
};

export const AgentTaskStepSchema = z
  .strictObject({
    ...stepCommon,
    type: z.literal("agent_task"),
    agent_type: z.enum(AGENT_TYPES).optional(),
    agent_id: z.string().min(1).max(200).optional().openapi({ description: "A spawned agent; else an ephemeral one" }),
    task: z.string().min(1).max(20_000).optional().openapi({ description: "Template string" }),
    prompt: z.string().min(1).max(100_000).optional().openapi({ description: "Template string" }),
    config: z.record(z.string(), json).optional(),
  })
  .refine((s) => s.task !== undefined || s.prompt !== undefined, {
    path: ["task"],
    message: "an agent_task needs a task or a prompt",
  })
  .refine((s) => s.agent_type !== undefined || s.agent_id !== undefined, {
    path: ["agent_type"],
    message: "an agent_task needs an agent_type or an agent_id",
  });

export const ApiCallStepSchema = z.strictObject({
  ...stepCommon,
  type: z.literal("api_call"),
  url: z.string().min(1).max(4_000).openapi({ description: "Template string; http(s)" }),
  method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]).default("GET"),
  headers: z.record(z.string().min(1).max(200), z.string().max(8_000)).optional(),
  body: json.optional(),
});

export const ConditionStepSchema = z.strictObject({
  ...stepCommon,
  type: z.literal("condition"),
  expression: expression.openapi({ example: "${step1.quality_score} > 0.8" }),
  true_steps: stepIds.default([]),
  false_steps: stepIds.default([]),
});

export const LoopStepSchema = z
  .strictObject({
    ...stepCommon,
    type: z.literal("loop"),
    for_each: expression.optional().openapi({ description: "An expression giving a list", example: "${input.items}" }),
    while: expression.optional().openapi({ description: "Checked before each iteration" }),
    steps: stepIds.min(1),
    max_iterations: z.number().int().min(1).max(1_000).optional().openapi({ description: "Required with while" }),
  })
  .refine((s) => (s.for_each === undefined) !== (s.while === undefined), {
    path: ["for_each"],
    message: "a loop needs exactly one of for_each and while",
  })
  .refine((s) => s.while === undefined || s.max_iterations !== undefined, {
    path: ["max_iterations"],
    message: "a while loop needs max_iterations",
  });

export const ParallelStepSchema = z.strictObject({
  ...stepCommon,
  type: z.literal("parallel"),
  branches: z.array(stepIds.min(1)).min(1).max(50),
  join: z.enum(["all", "any"]).default("all"),
});

/** The `until` of a wait that resumes on a message posted to an entanglement. */
export const ENTANGLEMENT_MESSAGE = "entanglement_message";

export const WaitStepSchema = z
  .strictObject({
    ...stepCommon,
    type: z.literal("wait"),
    duration: seconds.optional().openapi({ description: "Seconds to wait" }),
    until: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .openapi({ description: "ISO-8601 time, or a template giving one; or `entanglement_message`" }),
    entanglement_id: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .openapi({ description: "With until `entanglement_message`: the entanglement to wait on (a template)" }),
    member: z.string().min(1).max(128).optional().openapi({ description: "Only a message this member sends" }),
    message_type: z.enum(MESSAGE_TYPES).optional().openapi({ description: "Only a message of this type" }),
    event: z.string().min(1).max(200).optional().openapi({ description: "Name of an event sent to the execution" }),
    approval: z
      .strictObject({ message: z.string().max(2_000).optional(), approvers: z.array(z.string().max(200)).optional() })
      .optional(),
  })
  .refine((s) => [s.duration, s.until, s.event, s.approval].filter((v) => v !== undefined).length === 1, {
    path: ["duration"],
    message: "a wait needs exactly one of duration, until, event and approval",
  })
  .refine((s) => (s.until === ENTANGLEMENT_MESSAGE) === (s.entanglement_id !== undefined), {
    path: ["entanglement_id"],
    message: "entanglement_id goes with until 'entanglement_message', and that needs an entanglement_id",
  })
  .refine((s) => s.until === ENTANGLEMENT_MESSAGE || (s.member === undefined && s.message_type === undefined), {
    path: ["member"],
    message: "member and message_type only filter a wait with until 'entanglement_message'",
  });

export const SubWorkflowStepSchema = z.strictObject({
  ...stepCommon,
  type: z.literal("sub_workflow"),
  workflow_id: z.string().min(1).max(200),
  version: z.number().int().min(1).optional().openapi({ description: "Absent → the child's latest version" }),
  input: z.record(z.string(), json).optional().openapi({ description: "The child's input; strings are templates" }),
});

export const TransformStepSchema = z.strictObject({
  ...stepCommon,
  type: z.literal("transform"),
  output: json.openapi({ description: "The step's output; every string in it is an expression" }),
});

export const StepSchema = z
  .discriminatedUnion("type", [
    AgentTaskStepSchema,
    ApiCallStepSchema,
    ConditionStepSchema,
    LoopStepSchema,
    ParallelStepSchema,
    WaitStepSchema,
    SubWorkflowStepSchema,
    TransformStepSchema,
  ])
  .openapi("WorkflowStep");
export type Step = z.infer<typeof StepSchema>;

export const WorkflowDefinitionSchema = z
  .strictObject({
    name: z.string().min(1).max(200),
    description: z.string().max(2_000).optional(),
    type: z.enum(["sequential", "conditional", "parallel", "mixed"]).default("sequential"),
    steps: z.array(StepSchema).min(1).max(MAX_STEPS),
    default_timeout_hours: z
      .number()
      .positive()
      .max(24 * 365)
      .optional(),
    max_concurrent_executions: z.number().int().min(1).max(1_000).optional(),
    retry_attempts: z.number().int().min(0).max(20).optional(),
    metadata: z.record(z.string(), json).optional(),
  })
  .openapi("WorkflowDefinition");
export type WorkflowDefinition = z.infer<typeof WorkflowDefinitionSchema>;

/** The seed's `workflow:` defaults; the config levels may replace them. */
export const SEED_WORKFLOW_DEFAULTS = { default_timeout_hours: 1, max_concurrent_executions: 5, retry_attempts: 3 };

export type WorkflowSettings = typeof SEED_WORKFLOW_DEFAULTS;

/** The settings an execution of this definition runs with: its own, else the given defaults. */
export function workflowSettings(
  def: WorkflowDefinition,
  defaults: WorkflowSettings = SEED_WORKFLOW_DEFAULTS,
): WorkflowSettings {
  return {
    default_timeout_hours: def.default_timeout_hours ?? defaults.default_timeout_hours,
    max_concurrent_executions: def.max_concurrent_executions ?? defaults.max_concurrent_executions,
    retry_attempts: def.retry_attempts ?? defaults.retry_attempts,
  };
}
