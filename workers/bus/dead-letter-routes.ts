/**
 * Dead-letter routes: list (filters, pagination), replay one, replay many by filter. Replayed events keep
 * their event_id.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { requireScope } from "../platform/auth/middleware";
import { unwrap } from "../platform/errors";
import { bearerSecurity, errorResponses, jsonContent } from "../platform/openapi";
import { createRouter } from "../platform/validation";
import { listDeadLetters, replayDeadLetter, replayMatching, type DeadLetterRow } from "../platform/bus/dead-letters";
import { InstantSchema } from "./normalize";
import { decodeCursor, encodeCursor } from "../platform/cursor";

const tags = ["dead-letters"];

const filterFields = {
  subject: z.string().max(256).optional(),
  event_id: z.string().max(64).optional(),
  queue: z.enum(["botplane-bus", "botplane-bus-dlq"]).optional(),
  handler: z.string().max(200).optional(),
};

const ListQuerySchema = z.object({
  ...filterFields,
  replayed: z.enum(["true", "false"]).optional(),
  from: InstantSchema.optional().openapi({ type: "string" }),
  to: InstantSchema.optional().openapi({ type: "string" }),
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const BulkBodySchema = z
  .object({
    ...filterFields,
    include_replayed: z.boolean().default(false),
    from: InstantSchema.optional().openapi({ description: "epoch ms or ISO-8601" }),
    to: InstantSchema.optional().openapi({ description: "epoch ms or ISO-8601" }),
    limit: z.number().int().min(1).max(500).default(100),
  })
  .openapi("DeadLetterReplayRequest");

const DeadLetterSchema = z
  .object({
    id: z.string(),
    event_id: z.string().nullable(),
    subject: z.string().nullable(),
    queue: z.string(),
    handler: z.string().nullable(),
    error: z.string().nullable(),
    attempts: z.number().int(),
    created_at: z.string(),
    replayed_at: z.string().nullable(),
    replay_count: z.number().int(),
    message: z.unknown(),
  })
  .openapi("DeadLetter");

function present(row: DeadLetterRow) {
  return {
    id: row.id,
    event_id: row.eventId,
    subject: row.subject,
    queue: row.queue,
    handler: row.handler,
    error: row.error,
    attempts: row.attempts,
    created_at: new Date(row.createdAt).toISOString(),
    replayed_at: row.replayedAt === null ? null : new Date(row.replayedAt).toISOString(),
    replay_count: row.replayCount,
    message: JSON.parse(row.body) as unknown,
  };
}

const list = createRoute({
  method: "get",
  path: "/api/v1/dead-letters",
  tags,
  summary: "List dead letters, newest first",
  security: bearerSecurity,
  middleware: [requireScope("events:read")] as const,
  request: { query: ListQuerySchema },
  responses: {
    200: {
      description: "A page",
      ...jsonContent(z.object({ dead_letters: z.array(DeadLetterSchema), next_cursor: z.string().nullable() })),
    },
    ...errorResponses(400, 401, 403),
  },
});

const replayOne = createRoute({
  method: "post",
  path: "/api/v1/dead-letters/{id}/replay",
  tags,
  summary: "Re-publish one dead letter with its event_id",
  security: bearerSecurity,
  middleware: [requireScope("events:replay")] as const,
  request: { params: z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) }) },
  responses: {
    200: { description: "Replayed", ...jsonContent(DeadLetterSchema) },
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

const replayMany = createRoute({
  method: "post",
  path: "/api/v1/dead-letters/replay",
  tags,
  summary: "Re-publish the dead letters matching a filter (up to 500 a call)",
  security: bearerSecurity,
  middleware: [requireScope("events:replay")] as const,
  request: { body: { required: true, ...jsonContent(BulkBodySchema) } },
  responses: {
    200: {
      description: "What was replayed",
      ...jsonContent(
        z.object({ replayed: z.array(z.string()), skipped: z.array(z.object({ id: z.string(), reason: z.string() })) }),
      ),
    },
    ...errorResponses(400, 401, 403, 415),
  },
});

export const deadLetterRoutes = createRouter()
  .openapi(list, async (c) => {
    const q = c.req.valid("query");
    const filter = {
      subject: q.subject,
      eventId: q.event_id,
      queue: q.queue,
      handler: q.handler,
      replayed: q.replayed === undefined ? undefined : q.replayed === "true",
      fromMs: q.from,
      toMs: q.to,
    };
    const page = await listDeadLetters(c.env, filter, q.limit, q.cursor ? decodeCursor(q.cursor) : undefined);
    return c.json(
      { dead_letters: page.rows.map(present), next_cursor: page.next ? encodeCursor(page.next) : null },
      200,
    );
  })
  .openapi(replayOne, async (c) => {
    const { row } = unwrap(await replayDeadLetter(c.env, c.req.valid("param").id));
    return c.json(present(row), 200);
  })
  .openapi(replayMany, async (c) => {
    const b = c.req.valid("json");
    const filter = {
      subject: b.subject,
      eventId: b.event_id,
      queue: b.queue,
      handler: b.handler,
      replayed: b.include_replayed ? undefined : false,
      fromMs: b.from,
      toMs: b.to,
    };
    return c.json(await replayMatching(c.env, filter, b.limit), 200);
  });
