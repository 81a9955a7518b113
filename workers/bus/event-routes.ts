/**
 * Event routes: `POST /api/v1/events` (JSON or protobuf, one event or a batch of up to 100; a result per
 * event), `GET /api/v1/events` (history) and `GET /api/v1/events/{event_id}` (one whole event, claim check
 * resolved).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { requireScope } from "../platform/auth/middleware";
import type { BusEvent } from "../platform/bus/envelope";
import { AppError } from "../platform/errors";
import { rateLimit } from "../platform/rate-limit/middleware";
import { bearerSecurity, errorResponses, jsonContent } from "../platform/openapi";
import { formatTraceparent } from "../platform/trace";
import { createRouter } from "../platform/validation";
import { checkOut } from "../platform/bus/claim-check";
import {
  AcceptedSchema,
  EventIdParamSchema,
  EventSchema,
  HistoryPageSchema,
  HistoryQuerySchema,
  PublishBodySchema,
  PublishResultSchema,
} from "./event-schemas";
import { MAX_BODY_BYTES } from "./event-limits";
import { fromRow, getHistoryRow, queryHistory } from "./history-store";
import { decodeCursor, encodeCursor } from "../platform/cursor";
import { presentEvent } from "./presenter";
import { publishEvents } from "./publish-service";
import { patternsFor } from "./subjects";
import { decodeEventProto } from "./protobuf";

const tags = ["events"];

const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new AppError(413, "payload_too_large", `body exceeds ${MAX_BODY_BYTES} bytes`);
  },
});

const publishRoute = createRoute({
  method: "post",
  path: "/api/v1/events",
  tags,
  summary: "Publish one event or a batch (≤ 100); JSON or application/x-protobuf",
  security: bearerSecurity,
  middleware: [
    requireScope("events:publish"),
    rateLimit({ name: "publish", key: (c) => `publish:${c.get("principal").sub}` }),
    limitBody,
  ] as const,
  request: {
    body: {
      content: {
        "application/json": { schema: PublishBodySchema },
        "application/x-protobuf": { schema: z.string().openapi({ format: "binary", description: "seed 002 Event" }) },
      },
    },
  },
  responses: {
    200: { description: "Batch: a result per event", ...jsonContent(PublishResultSchema) },
    202: { description: "Single event accepted (durably enqueued)", ...jsonContent(AcceptedSchema) },
    ...errorResponses(400, 401, 403, 413, 415, 429),
  },
});

const historyRoute = createRoute({
  method: "get",
  path: "/api/v1/events",
  tags,
  summary: "Event history (retention EVENT_RETENTION_DAYS, default 7)",
  security: bearerSecurity,
  middleware: [requireScope("events:read")] as const,
  request: { query: HistoryQuerySchema },
  responses: {
    200: { description: "A page of events", ...jsonContent(HistoryPageSchema) },
    ...errorResponses(400, 401, 403),
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/api/v1/events/{event_id}",
  tags,
  summary: "One whole event, large payloads included",
  security: bearerSecurity,
  middleware: [requireScope("events:read")] as const,
  request: { params: EventIdParamSchema },
  responses: { 200: { description: "The event", ...jsonContent(EventSchema) }, ...errorResponses(400, 401, 403, 404) },
});

/** A single event's rejection as an HTTP status; anything not listed is the publisher's bad input (400). */
const REJECTION_STATUS: Readonly<Record<string, 403 | 413 | 503>> = {
  forbidden: 403,
  payload_too_large: 413,
  bus_unavailable: 503,
};

async function rawEvents(
  contentType: string | undefined,
  json: unknown,
  bytes: () => Promise<ArrayBuffer>,
): Promise<{ raws: unknown[]; batch: boolean }> {
  if (contentType?.startsWith("application/x-protobuf"))
    return { raws: [decodeEventProto(new Uint8Array(await bytes()))], batch: false };
  if (json !== null && typeof json === "object" && "events" in json && Array.isArray(json.events))
    return { raws: json.events, batch: true };
  if (json === null || typeof json !== "object" || Object.keys(json).length === 0)
    throw new AppError(400, "invalid_input", "body: expected an event or {events: [...]}");
  return { raws: [json], batch: false };
}

export const eventRoutes = createRouter()
  .openapi(publishRoute, async (c) => {
    const { raws, batch } = await rawEvents(c.req.header("content-type"), c.req.valid("json"), () =>
      c.req.arrayBuffer(),
    );
    const results = await publishEvents(c.env, raws, {
      traceparent: formatTraceparent(c.get("trace")),
      now: Date.now(),
      scopes: c.get("principal").scopes,
      at: (i) => (batch ? `body.events.${i}` : "body"),
    });
    if (batch) {
      const accepted = results.filter((r) => r.status === "accepted").length;
      return c.json({ accepted, rejected: results.length - accepted, results }, 200);
    }
    const [only] = results;
    if (!only || only.status === "rejected") {
      const error =
        only?.status === "rejected"
          ? only.error
          : { code: "invalid_input", message: "body: no event", field: "body", reason: "no event" };
      const status = REJECTION_STATUS[error.code] ?? 400;
      throw new AppError(status, error.code, error.message, {
        field: error.field,
        issues: [{ field: error.field, message: error.reason }],
        ...(error.required ? { required: error.required } : {}),
      });
    }
    return c.json({ event_id: only.event_id, type: only.type, status: "accepted" as const }, 202);
  })
  .openapi(historyRoute, async (c) => {
    const q = c.req.valid("query");
    const prefix = c.env.EVENT_BUS_TOPIC_PREFIX;
    const patterns = [...q.subject, ...q.type].flatMap((f) => patternsFor(f, prefix));
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    const page = await queryHistory(c.env, {
      fromMs: q.from,
      toMs: q.to,
      patterns,
      source: q.source,
      correlationId: q.correlation_id,
      after,
      limit: q.limit,
      order: q.order,
    });
    return c.json(
      {
        events: page.rows.map((r) => presentEvent(fromRow(r))),
        next_cursor: page.next ? encodeCursor(page.next) : null,
      },
      200,
    );
  })
  .openapi(getRoute, async (c) => {
    const { event_id } = c.req.valid("param");
    const row = await getHistoryRow(c.env, event_id);
    if (!row) throw new AppError(404, "event_not_found", `no event '${event_id}' in history`);
    let event: BusEvent | null = fromRow(row);
    if (row.payloadRef) event = await checkOut(c.env, event_id);
    if (!event) throw new AppError(404, "event_not_found", `event '${event_id}' payload is gone (past retention)`);
    return c.json(presentEvent(event), 200);
  });
