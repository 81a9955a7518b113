/**
 * `/ws/knowledge` and `/ws/metrics` (seed 002's SubscribeToChanges and StreamMetrics): the live event stream
 * of `/api/v1/events/stream`, pinned to one subject space — `knowledge.>` (updates asked for, changes made,
 * query answers) and the subjects analytics ingests (`metrics.>`, `game.state`, `learning.decision`). Same
 * frames, same resume cursor, WebSocket or Server-Sent Events on the same path; only the scope differs.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { requireScope } from "../platform/auth/middleware";
import type { Scope } from "../platform/auth/scopes";
import { partitionCount } from "../platform/bus/partition-client";
import { partitionsFor } from "../platform/bus/partitions";
import { bearerSecurity, errorResponses } from "../platform/openapi";
import type { Env } from "../platform/env";
import { createRouter } from "../platform/validation";
import { mergedSse, mergedWebSocket } from "./stream-merge";
import { StreamHeadersSchema, StreamQuerySchema } from "./stream-schemas";

const TopicQuerySchema = StreamQuerySchema.omit({ subject: true });

function topicRoute(path: string, scope: Scope, summary: string) {
  return createRoute({
    method: "get",
    path,
    tags: ["events"],
    summary,
    description:
      "The live stream of `/api/v1/events/stream` for these subjects only: the same frames, `since`/Last-Event-ID resume, " +
      "WebSocket when the request upgrades, else Server-Sent Events.",
    security: bearerSecurity,
    middleware: [requireScope(scope, { tokenCarriers: ["query", "websocket-protocol"] })] as const,
    request: { query: TopicQuerySchema, headers: StreamHeadersSchema },
    responses: {
      101: { description: "Switched to a WebSocket (sent with `Upgrade: websocket`)" },
      200: {
        description: "An endless Server-Sent Events stream",
        content: { "text/event-stream": { schema: z.string() } },
      },
      ...errorResponses(400, 401, 403),
    },
  });
}

export const KNOWLEDGE_STREAM_SUBJECTS = ["knowledge.>"];
export const METRICS_STREAM_SUBJECTS = ["metrics.>", "game.state", "learning.decision"];

const knowledge = topicRoute("/ws/knowledge", "knowledge:read", "Stream knowledge graph changes (knowledge.*)");
const metrics = topicRoute("/ws/metrics", "metrics:read", "Stream the metrics analytics ingests (metrics.*, …)");

function streamOf(patterns: string[]) {
  return (
    env: Env,
    query: z.infer<typeof TopicQuerySchema>,
    headers: z.infer<typeof StreamHeadersSchema>,
    upgrade: string | undefined,
  ) => {
    const options = {
      filter: { patterns, correlation_id: query.correlation_id },
      partitions: partitionsFor(patterns, partitionCount(env)),
      since: query.since ?? headers["last-event-id"],
    };
    return upgrade?.toLowerCase() === "websocket"
      ? mergedWebSocket(env, options, headers["sec-websocket-protocol"] !== undefined)
      : mergedSse(env, options);
  };
}

const knowledgeStream = streamOf(KNOWLEDGE_STREAM_SUBJECTS);
const metricsStream = streamOf(METRICS_STREAM_SUBJECTS);

export const topicStreamRoutes = createRouter()
  .openapi(knowledge, (c) =>
    knowledgeStream(c.env, c.req.valid("query"), c.req.valid("header"), c.req.header("upgrade")),
  )
  .openapi(metrics, (c) => metricsStream(c.env, c.req.valid("query"), c.req.valid("header"), c.req.header("upgrade")));
