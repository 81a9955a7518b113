/**
 * zod schemas of the workflow routes' parameters and answers (the definition itself is in
 * definition-schema.ts), and the presenter from stored snapshots to the wire's snake_case.
 */
import { z } from "@hono/zod-openapi";
import { WorkflowDefinitionSchema } from "./definition-schema";
import type { WorkflowSnapshot, WorkflowSummary } from "./store";

export const WorkflowIdParamSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: "id", in: "path" }, example: "0b7c6c4e-3f0e-4d2a-9a57-1f6f5e3c2b1a" }),
});

export const WorkflowGetQuerySchema = z.object({
  version: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .openapi({ description: "An older version; absent → the latest", example: 1 }),
});

export const WorkflowListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).optional(),
});

export const WorkflowSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    version: z.number().int().openapi({ description: "The version shown" }),
    latest_version: z.number().int(),
    definition: WorkflowDefinitionSchema,
    created_by: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    version_created_by: z.string(),
    version_created_at: z.string(),
  })
  .openapi("Workflow");

export const WorkflowSummarySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    latest_version: z.number().int(),
    created_by: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("WorkflowSummary");

export const WorkflowListSchema = z
  .object({ workflows: z.array(WorkflowSummarySchema), next_cursor: z.string().nullable() })
  .openapi("WorkflowList");

export const WorkflowDeletedSchema = z
  .object({ id: z.string(), deleted: z.literal(true), deleted_at: z.string() })
  .openapi("WorkflowDeleted");

const iso = (ms: number) => new Date(ms).toISOString();

export function presentWorkflow(s: WorkflowSnapshot) {
  return {
    id: s.id,
    name: s.definition.name,
    description: s.definition.description ?? null,
    version: s.version,
    latest_version: s.latestVersion,
    definition: s.definition,
    created_by: s.createdBy,
    created_at: iso(s.createdAt),
    updated_at: iso(s.updatedAt),
    version_created_by: s.versionCreatedBy,
    version_created_at: iso(s.versionCreatedAt),
  };
}

export function presentSummary(s: WorkflowSummary) {
  return {
    id: s.id,
    name: s.name,
    description: s.description,
    latest_version: s.latestVersion,
    created_by: s.createdBy,
    created_at: iso(s.createdAt),
    updated_at: iso(s.updatedAt),
  };
}
