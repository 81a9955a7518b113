/**
 * Input of `GET /api/v1/events/stream`: subject filters (repeatable; a wildcard pattern or an EventType),
 * the correlation_id filter, the resume cursor (`since` or `Last-Event-ID`), and the browser token carriers.
 */
import { z } from "@hono/zod-openapi";
import { MAX_PATTERN_LENGTH, MAX_PATTERNS } from "../../durable-objects/event-stream-protocol";
import { CursorSchema } from "./stream-cursor";
import { STREAM_SUBPROTOCOL } from "./stream-merge";
import { SUBJECT_PATTERN_REGEX } from "../platform/bus/subjects";

const SubjectFilterSchema = z
  .string()
  .min(1)
  .max(MAX_PATTERN_LENGTH)
  .regex(
    SUBJECT_PATTERN_REGEX,
    "must be a dotted subject pattern (`*` = one token, a final `>` = the rest) or an EventType such as GAME_STATE",
  );

export const StreamQuerySchema = z.object({
  subject: z
    .union([SubjectFilterSchema, z.array(SubjectFilterSchema).max(MAX_PATTERNS)])
    .optional()
    .transform((v) => (v === undefined ? [] : typeof v === "string" ? [v] : v))
    .openapi({
      description:
        "Repeatable. A subject or wildcard pattern (`botz.>`, `metrics.*`, `game.state`) or an EventType (`GAME_STATE`, `METRIC`); none = every event",
      example: "botz.>",
    }),
  correlation_id: z.string().min(1).max(256).optional().openapi({ description: "Only events of this correlation" }),
  since: CursorSchema.optional().openapi({
    type: "string",
    description:
      "Resume: the `cursor` of the last frame you got (`0:12,3:44`), or a seq for every partition (`0` = all retained); replayed first, then live (overrides Last-Event-ID)",
    example: "0",
  }),
  access_token: z.string().min(1).optional().openapi({
    description: "Token for clients that cannot send headers (EventSource); prefer the Authorization header",
  }),
});

function offersStreamProtocol(value: string): boolean {
  return value.split(",").some((p) => p.trim() === STREAM_SUBPROTOCOL);
}

export const StreamHeadersSchema = z.object({
  "last-event-id": CursorSchema.optional().openapi({
    type: "string",
    description: "Resume cursor an EventSource sends back on reconnect (the `id` of the last message)",
  }),
  "sec-websocket-protocol": z
    .string()
    .refine(offersStreamProtocol, `must offer ${STREAM_SUBPROTOCOL} (beside bearer.<token>)`)
    .optional()
    .openapi({
      description: `Browsers: \`${STREAM_SUBPROTOCOL}, bearer.<token>\`; the server answers \`${STREAM_SUBPROTOCOL}\``,
    }),
});
