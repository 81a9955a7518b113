/**
 * zod schemas for the resource coordinator's HTTP surface (seed 002 `ResourceRequest` field names). They
 * validate input and generate the OpenAPI document.
 */
import { z } from "@hono/zod-openapi";
import { PRIORITIES, REQUEST_STATUSES, RESOURCE_TYPES } from "../../durable-objects/resource-coordinator-model";

const DAY_MS = 24 * 3600_000;

export const ResourceTypeSchema = z.enum(RESOURCE_TYPES).openapi({ example: "GPU_COMPUTE" });
export const PrioritySchema = z.enum(PRIORITIES).openapi({ example: "NORMAL" });

export const ResourceRequestBodySchema = z
  .object({
    component: z.string().min(1).max(200).openapi({ example: "ray_rllib" }),
    type: ResourceTypeSchema,
    amount: z.number().int().positive().openapi({ example: 25 }),
    duration_ms: z
      .number()
      .int()
      .positive()
      .max(DAY_MS)
      .openapi({ example: 60_000, description: "How long the grant lasts; at most 24 h" }),
    priority: PrioritySchema.default("NORMAL"),
    timeout_ms: z.number().int().min(0).optional().openapi({
      description: "Wait at most this long for capacity (≤ RESOURCE_REQUEST_TIMEOUT, its default); 0 answers at once",
    }),
  })
  .openapi("ResourceRequest");

export const GrantSchema = z
  .object({
    grant_id: z.string(),
    request_id: z.string(),
    component: z.string(),
    type: ResourceTypeSchema,
    amount: z.number().int(),
    priority: PrioritySchema,
    granted_at: z.string(),
    expires_at: z.string(),
    released_at: z.string().nullable(),
    status: z.enum(["active", "released", "expired"]),
  })
  .openapi("ResourceGrant");

export const WaitingResponseSchema = z
  .object({
    request_id: z.string(),
    status: z.literal("waiting"),
    position: z.number().int().openapi({ description: "1-based place in the resource type's queue" }),
  })
  .openapi("ResourceRequestWaiting", {
    description: "Capacity stayed short for the whole wait; the later grant is announced as resources.granted.v1",
  });

export const ReleaseBodySchema = z.object({ grant_id: z.string().min(1).max(200) }).openapi("ResourceRelease");

export const WaiterSchema = z
  .object({
    request_id: z.string(),
    component: z.string(),
    type: ResourceTypeSchema,
    amount: z.number().int(),
    duration_ms: z.number().int(),
    priority: PrioritySchema,
    effective_priority: PrioritySchema.openapi({ description: "Priority after aging" }),
    requested_at: z.string(),
    position: z.number().int(),
  })
  .openapi("ResourceWaiter");

export const ResourceStatusSchema = z
  .object({
    resources: z.array(
      z.object({
        type: ResourceTypeSchema,
        capacity: z.number().int(),
        granted: z.number().int(),
        available: z.number().int(),
        waiting: z.number().int(),
      }),
    ),
    grants: z.array(GrantSchema),
    waiters: z.array(WaiterSchema),
    generated_at: z.string(),
  })
  .openapi("ResourceStatus");

export const RequestViewSchema = z
  .object({
    request_id: z.string(),
    component: z.string(),
    type: ResourceTypeSchema,
    amount: z.number().int(),
    duration_ms: z.number().int(),
    priority: PrioritySchema,
    status: z.enum(REQUEST_STATUSES),
    requested_at: z.string(),
    updated_at: z.string(),
    effective_priority: PrioritySchema.nullable(),
    position: z.number().int().nullable(),
    grant: GrantSchema.nullable(),
  })
  .openapi("ResourceRequestState");

export const RequestIdParamSchema = z.object({
  request_id: z.uuid().openapi({ param: { name: "request_id", in: "path" } }),
});
