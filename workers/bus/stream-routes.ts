/**
 * `GET /api/v1/events/stream`: live events as a WebSocket (when the request asks to upgrade) or as
 * Server-Sent Events. Auth and input are checked here, before anything is upgraded; the stream is then merged
 * from every bus partition the subscription can match (stream-merge.ts). Browsers may carry the token as
 * `access_token` or in Sec-WebSocket-Protocol.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { requireScope } from "../platform/auth/middleware";
import { bearerSecurity, errorResponses } from "../platform/openapi";
import { createRouter } from "../platform/validation";
import { partitionCount } from "../platform/bus/partition-client";
import { partitionsFor } from "../platform/bus/partitions";
import { mergedSse, mergedWebSocket } from "./stream-merge";
import { StreamHeadersSchema, StreamQuerySchema } from "./stream-schemas";
import { patternsFor } from "./subjects";

const stream = createRoute({
  method: "get",
  path: "/api/v1/events/stream",
  tags: ["events"],
  summary: "Subscribe to live events (WebSocket or Server-Sent Events)",
  description:
    'Each frame is `{"cursor": "0:12,3:44", "partition": 3, "seq": 44, "event": {...}}`; SSE messages carry `id: <cursor>` and `event: <subject>`. ' +
    "Resume with `since=<cursor>` or Last-Event-ID: every retained event after the cursor is replayed first, then live events follow with no gap and no repeat. " +
    "Order holds per subject (partition). Payloads over 64 KB arrive as `payload_ref`. " +
    'A WebSocket client may send `{"type":"ping"}` and gets `{"type":"pong"}`.',
  security: bearerSecurity,
  middleware: [requireScope("events:read", { tokenCarriers: ["query", "websocket-protocol"] })] as const,
  request: { query: StreamQuerySchema, headers: StreamHeadersSchema },
  responses: {
    101: { description: "Switched to a WebSocket (sent with `Upgrade: websocket`)" },
    200: {
      description: "An endless Server-Sent Events stream",
      content: { "text/event-stream": { schema: z.string() } },
    },
    ...errorResponses(400, 401, 403),
  },
});

export const streamRoutes = createRouter().openapi(stream, async (c) => {
  const query = c.req.valid("query");
  const headers = c.req.valid("header");
  const prefix = c.env.EVENT_BUS_TOPIC_PREFIX;
  const patterns =
    query.subject.length === 0 ? [">"] : [...new Set(query.subject.flatMap((s) => patternsFor(s, prefix)))];
  const options = {
    filter: { patterns, correlation_id: query.correlation_id },
    partitions: partitionsFor(patterns, partitionCount(c.env)),
    since: query.since ?? headers["last-event-id"],
  };
  const websocket = c.req.header("upgrade")?.toLowerCase() === "websocket";
  return websocket
    ? mergedWebSocket(c.env, options, headers["sec-websocket-protocol"] !== undefined)
    : mergedSse(c.env, options);
});
