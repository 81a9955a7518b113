/**
 * zod schemas for the BoTZ gateway's HTTP surface (seed 000 field names, verbatim). They validate input and
 * generate the OpenAPI document.
 */
import { z } from "@hono/zod-openapi";
import { boundedJson, depthMessage, MAX_JSON_DEPTH, pathTooDeep } from "../platform/json-depth";
import {
  INSTANCE_STATUSES,
  REPORTED_STATUSES,
  SKILL_LEVELS,
  WORK_ITEM_STATUSES,
  type Json,
} from "../../durable-objects/botz-registry-model";

const id = z.string().min(1).max(200);
// Bodies arrive as parsed JSON already, so any value in them is JSON. z.json() is recursive and overflows
// the OpenAPI generator (and the stack, on deep input), so this is z.unknown() (documented as `{}`) with an
// iterative depth bound, typed as the JSON it must be.
const jsonValue = boundedJson().openapi({
  description: `Any JSON value, at most ${MAX_JSON_DEPTH} levels deep`,
}) as unknown as z.ZodType<Json>;

export const SkillLevelSchema = z.enum(SKILL_LEVELS).openapi({ example: "tac_enabled" });

const REGISTER_KEYS = new Set([
  "botz_name",
  "instance_id",
  "skill_level",
  "available_mcp_tools",
  "runner_host",
  "config_path",
  "metadata",
]);

export const RegisterBodySchema = z
  .looseObject({
    botz_name: z.string().min(1).max(200).openapi({ example: "pmoves-crush" }),
    instance_id: id.openapi({ example: "crush-ailab-001" }),
    skill_level: SkillLevelSchema,
    available_mcp_tools: z
      .array(z.string().min(1).max(200))
      .max(500)
      .default([])
      .openapi({ example: ["read", "write", "bash"] }),
    runner_host: z.string().max(500).optional().openapi({ example: "ai-lab" }),
    config_path: z.string().max(1000).optional().openapi({ example: "./crush.json" }),
    metadata: z.record(z.string(), jsonValue).optional(),
  })
  .superRefine((body, ctx) => {
    // Extra keys are kept in metadata, so they are bounded like it.
    for (const [key, value] of Object.entries(body)) {
      if (!REGISTER_KEYS.has(key) && pathTooDeep(value) !== null)
        ctx.addIssue({ code: "custom", path: [key], message: depthMessage() });
    }
  })
  .openapi("RegisterRequest", { description: "Extra keys are kept in the instance's metadata." });

export const InstanceSchema = z
  .object({
    botz_id: z.string(),
    instance_id: z.string(),
    botz_name: z.string(),
    skill_level: SkillLevelSchema,
    status: z.enum(INSTANCE_STATUSES),
    available_mcp_tools: z.array(z.string()),
    runner_host: z.string().nullable(),
    config_path: z.string().nullable(),
    metadata: z.record(z.string(), jsonValue),
    current_work_item_id: z.string().nullable(),
    registered_at: z.string(),
    last_heartbeat_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Instance");

export const RegisterResponseSchema = z
  .object({
    botz_id: z.string(),
    created: z.boolean(),
    heartbeat_interval_s: z.number().int(),
    instance: InstanceSchema,
  })
  .openapi("RegisterResponse");

export const HeartbeatBodySchema = z
  .object({
    botz_id: id,
    status: z.enum(REPORTED_STATUSES).optional(),
    current_work_item_id: id.nullable().optional(),
  })
  .openapi("HeartbeatRequest");

export const HeartbeatResponseSchema = z
  .object({
    botz_id: z.string(),
    status: z.enum(INSTANCE_STATUSES),
    heartbeat_interval_s: z.number().int(),
    leases_extended: z.number().int(),
    instance: InstanceSchema,
  })
  .openapi("HeartbeatResponse");

export const InstanceListQuerySchema = z.object({
  status: z.enum(INSTANCE_STATUSES).optional(),
  skill_level: SkillLevelSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

export const InstanceListSchema = z
  .object({ instances: z.array(InstanceSchema), count: z.number().int() })
  .openapi("InstanceList");

export const BotzIdParamSchema = z.object({ botz_id: id.openapi({ param: { name: "botz_id", in: "path" } }) });

export const NewWorkItemSchema = z
  .object({
    title: z.string().min(1).max(500),
    description: z.string().max(20_000).optional(),
    integration_name: z.string().min(1).max(200).optional().openapi({ example: "jellyfin" }),
    required_skill_level: SkillLevelSchema.default("basic"),
    priority: z.number().int().min(0).max(1000).default(0).openapi({ description: "Higher is claimed first" }),
    payload: jsonValue.optional(),
  })
  .openapi("NewWorkItem");

export const CreateWorkItemsBodySchema = z
  .union([z.object({ items: z.array(NewWorkItemSchema).min(1).max(100) }), NewWorkItemSchema])
  .openapi("CreateWorkItemsRequest");

export const CreateWorkItemsResponseSchema = z
  .object({ work_item_id: z.string().optional(), work_item_ids: z.array(z.string()) })
  .openapi("CreateWorkItemsResponse");

export const WorkItemSchema = z
  .object({
    work_item_id: z.string(),
    title: z.string(),
    description: z.string().nullable(),
    integration_name: z.string().nullable(),
    required_skill_level: SkillLevelSchema,
    priority: z.number().int(),
    payload: jsonValue,
    status: z.enum(WORK_ITEM_STATUSES),
    attempts: z.number().int(),
    claimed_by: z.string().nullable(),
    session_id: z.string().nullable(),
    fencing_token: z.number().int().nullable(),
    lease_expires_at: z.string().nullable(),
    claimed_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    result: jsonValue,
    error: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("WorkItem");

export const WorkItemListBodySchema = z
  .object({
    integration_name: z.string().min(1).max(200).optional(),
    skill_level: SkillLevelSchema.optional().openapi({ description: "Only items an instance of this level may claim" }),
    status: z.enum(WORK_ITEM_STATUSES).default("pending"),
    limit: z.number().int().min(1).max(500).default(50),
  })
  .openapi("WorkItemListRequest");

export const WorkItemListSchema = z
  .object({ work_items: z.array(WorkItemSchema), count: z.number().int() })
  .openapi("WorkItemList");

export const ClaimBodySchema = z
  .object({
    botz_id: id,
    work_item_id: id.optional().openapi({ description: "Omit to claim the next item this instance may claim" }),
    session_id: z.string().min(1).max(200).optional(),
    integration_name: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .openapi({ description: "Restricts claim-next to one integration" }),
  })
  .openapi("ClaimRequest");

export const ClaimSchema = z
  .object({
    work_item_id: z.string(),
    botz_id: z.string(),
    fencing_token: z.number().int(),
    lease_expires_at: z.string(),
    required_skill_level: SkillLevelSchema,
    attempt: z.number().int(),
    work_item: WorkItemSchema,
  })
  .openapi("Claim");

export const CompleteBodySchema = z
  .object({
    work_item_id: id,
    botz_id: id,
    fencing_token: z.number().int().positive(),
    status: z.enum(["completed", "failed"]).default("completed"),
    result: jsonValue.optional(),
    error: z.string().max(20_000).optional(),
  })
  .refine((b) => b.status !== "failed" || (b.error !== undefined && b.error.length > 0), {
    path: ["error"],
    message: "a failed work item needs an error",
  })
  .openapi("CompleteRequest");

export const WorkItemIdParamSchema = z.object({
  work_item_id: id.openapi({ param: { name: "work_item_id", in: "path" } }),
});

export const StatsSchema = z
  .object({
    instances: z.object({
      total: z.number().int(),
      by_status: z.record(z.string(), z.number()),
      by_skill_level: z.record(z.string(), z.number()),
    }),
    instances_by_status_and_skill: z.array(
      z.object({ status: z.string(), skill_level: z.string(), count: z.number().int() }),
    ),
    work_items: z.object({ total: z.number().int(), by_status: z.record(z.string(), z.number()) }),
    claims_last_hour: z.number().int(),
    mean_claim_to_complete_seconds: z.number().nullable(),
    generated_at: z.string(),
  })
  .openapi("Stats");
