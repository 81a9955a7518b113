/**
 * `GET /api/chainbot/audit` (chainbot:admin): the audit log, newest first, filtered by user, action,
 * resource, outcome and a time window, paged with an opaque cursor.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { requireScope } from "../../platform/auth/middleware";
import { bearerSecurity, errorResponses, jsonContent } from "../../platform/openapi";
import { createRouter } from "../../platform/validation";
import { auditTrail } from "./record";
import { listAudit } from "./query";

const INSTANT_MESSAGE = "expected epoch milliseconds or an ISO-8601 time";

/** A time as epoch ms or ISO-8601 → epoch ms. */
const Instant = z
  .string()
  .max(64)
  .transform((v, ctx) => {
    const ms = /^\d{1,16}$/.test(v) ? Number(v) : Date.parse(v);
    if (Number.isFinite(ms)) return ms;
    ctx.addIssue({ code: "custom", message: INSTANT_MESSAGE });
    return z.NEVER;
  })
  .openapi({ type: "string", description: "epoch ms or ISO-8601" });

const QuerySchema = z.object({
  user: z.string().min(1).max(256).optional(),
  action: z.string().min(1).max(128).optional(),
  resource: z.string().min(1).max(512).optional(),
  outcome: z.enum(["success", "failure"]).optional(),
  since: Instant.optional(),
  until: Instant.optional(),
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const AuditEntrySchema = z
  .object({
    id: z.string(),
    timestamp: z.string(),
    user_id: z.string(),
    session_id: z.string().nullable(),
    action: z.string(),
    resource: z.string(),
    outcome: z.string().openapi({ example: "success" }),
    status: z.number().int().nullable(),
    error: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    trace_id: z.string().nullable(),
  })
  .openapi("ChainbotAuditEntry");

const ListSchema = z
  .object({ entries: z.array(AuditEntrySchema), next_cursor: z.string().nullable() })
  .openapi("ChainbotAuditList");

const list = createRoute({
  method: "get",
  path: "/api/chainbot/audit",
  tags: ["chainbot"],
  summary: "ChainBot's audit log, newest first (secrets masked)",
  security: bearerSecurity,
  middleware: [auditTrail("audit.read", { failuresOnly: true }), requireScope("chainbot:admin")] as const,
  request: { query: QuerySchema },
  responses: {
    200: { description: "A page of audit entries", ...jsonContent(ListSchema) },
    ...errorResponses(400, 401, 403),
  },
});

export const auditRoutes = createRouter().openapi(list, async (c) =>
  c.json(await listAudit(c.env.DB, c.req.valid("query")), 200),
);
