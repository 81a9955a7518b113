/**
 * `GET /api/chainbot/executions`: executions across workflows, newest first, from the D1 execution index
 * (filters: status, workflow_id; keyset cursor on created_at and id). For the console's overview; one
 * execution's steps and output are read from its object through `GET /api/chainbot/executions/{id}`.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, lt, or, type SQL } from "drizzle-orm";
import { EXECUTION_STATUSES } from "../../../durable-objects/workflow-execution-contract";
import { requireScope } from "../../platform/auth/middleware";
import { decodeCursor, encodeCursor } from "../../platform/cursor";
import { createDb } from "../../platform/db/client";
import { chainbotExecutions } from "../../platform/db/schema";
import { bearerSecurity, errorResponses, jsonContent } from "../../platform/openapi";
import { createRouter } from "../../platform/validation";
import { auditTrail } from "../audit/record";

export const AllExecutionsQuerySchema = z.object({
  status: z.enum(EXECUTION_STATUSES).optional(),
  workflow_id: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).optional(),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const AllExecutionsSchema = z
  .object({
    executions: z.array(
      z.object({
        execution_id: z.string(),
        workflow_id: z.string(),
        workflow_version: z.number().int(),
        status: z.enum(EXECUTION_STATUSES),
        created_by: z.string(),
        created_at: z.string(),
        updated_at: z.string(),
        started_at: z.string().nullable(),
        finished_at: z.string().nullable(),
        deadline_at: z.string().nullable(),
      }),
    ),
    next_cursor: z.string().nullable(),
  })
  .openapi("ExecutionIndexPage");

const list = createRoute({
  method: "get",
  path: "/api/chainbot/executions",
  tags: ["chainbot"],
  summary: "Executions across workflows, newest first; filter by status and workflow_id",
  security: bearerSecurity,
  middleware: [
    auditTrail("execution.list", { resource: () => "executions", failuresOnly: true }),
    requireScope("chainbot:read"),
  ] as const,
  request: { query: AllExecutionsQuerySchema },
  responses: {
    200: { description: "A page of executions", ...jsonContent(AllExecutionsSchema) },
    ...errorResponses(400, 401, 403),
  },
});

const t = chainbotExecutions;

export const executionIndexRoutes = createRouter().openapi(list, async (c) => {
  const q = c.req.valid("query");
  const where: SQL[] = [];
  if (q.status) where.push(eq(t.status, q.status));
  if (q.workflow_id) where.push(eq(t.workflowId, q.workflow_id));
  if (q.cursor) {
    const at = decodeCursor(q.cursor);
    const after = or(lt(t.createdAt, at.ts), and(eq(t.createdAt, at.ts), lt(t.id, at.id)));
    if (after) where.push(after);
  }
  const rows = await createDb(c.env.DB)
    .select()
    .from(t)
    .where(and(...where))
    .orderBy(desc(t.createdAt), desc(t.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return c.json(
    {
      executions: page.map((r) => ({
        execution_id: r.id,
        workflow_id: r.workflowId,
        workflow_version: r.workflowVersion,
        status: z.enum(EXECUTION_STATUSES).catch("queued").parse(r.status),
        created_by: r.createdBy,
        created_at: new Date(r.createdAt).toISOString(),
        updated_at: new Date(r.updatedAt).toISOString(),
        started_at: iso(r.startedAt),
        finished_at: iso(r.finishedAt),
        deadline_at: iso(r.deadlineAt),
      })),
      next_cursor: rows.length > q.limit && last ? encodeCursor({ ts: last.createdAt, id: last.id }) : null,
    },
    200,
  );
});
