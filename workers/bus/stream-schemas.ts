/**
 * Input of `GET /api/v1/events/stream`: subject filters (repeatable; a wildcard pattern or an EventType),
 * the correlation_id filter, the resume cursor (`since` or `Last-Event-ID`), and the browser token carriers.
 */
import { z } from "@hono/zod-openapi";
import { MAX_PATTERN_LENGTH, MAX_PATTERNS, STREAM_SUBPROTOCOL } from "../../durable-objects/event-stream-protocol";
import { SUBJECT_PATTERN_REGEX } from "./subjects";

const cursor = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

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
  since: cursor.optional().openapi({
    description: "Resume: replay every event with a greater seq first, then go live (overrides Last-Event-ID)",
    example: 0,
  }),
  access_token: z.string().min(1).optional().openapi({
    description: "Token for clients that cannot send headers (EventSource); prefer the Authorization header",
  }),
});

function offersStreamProtocol(value: string): boolean {
  return value.split(",").some((p) => p.trim() === STREAM_SUBPROTOCOL);
}

export const StreamHeadersSchema = z.object({
  "last-event-id": z
    .string()
    .regex(/^\d{1,15}$/, "must be a seq (a non-negative integer)")
    .transform(Number)
    .optional()
    .openapi({ description: "Resume cursor an EventSource sends back on reconnect" }),
  "sec-websocket-protocol": z
    .string()
    .refine(offersStreamProtocol, `must offer ${STREAM_SUBPROTOCOL} (beside bearer.<token>)`)
    .optional()
    .openapi({
      description: `Browsers: \`${STREAM_SUBPROTOCOL}, bearer.<token>\`; the server answers \`${STREAM_SUBPROTOCOL}\``,
    }),
});
