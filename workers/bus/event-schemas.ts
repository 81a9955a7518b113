/**
 * zod schemas for the event routes: publish bodies, history queries, one event. They validate input and
 * document `/openapi.json`; each event in a batch is validated on its own so one bad event rejects only
 * itself.
 */
import { z } from "@hono/zod-openapi";
import { MAX_BATCH_EVENTS } from "./event-limits";
import { InstantSchema } from "./normalize";
import { SUBJECT_PATTERN_REGEX } from "../platform/bus/subjects";
import { isEventType } from "./subjects";

// The limits live in event-limits.ts; re-exported so importers of the schemas keep finding them here.

const EventInputDoc = z
  .looseObject({
    event_id: z.string().optional().openapi({ description: "UUID; generated when absent" }),
    correlation_id: z.string().optional(),
    type: z
      .string()
      .openapi({ description: "EventType (GAME_STATE, METRIC, …) or a dotted subject", example: "game.state" }),
    source: z.string().openapi({ example: "BalatroMCP" }),
    timestamp: z.union([z.number(), z.string()]).optional().openapi({ description: "epoch ms or ISO-8601" }),
    version: z.number().int().optional(),
    metadata: z.record(z.string(), z.string()).optional(),
    payload: z.unknown().optional(),
  })
  .openapi("EventInput");

export const PublishBodySchema = z
  .union([z.object({ events: z.array(z.unknown()).min(1).max(MAX_BATCH_EVENTS) }), EventInputDoc])
  .openapi("PublishRequest", { description: "One event, or {events: [...]} with up to 100" });

export const EventSchema = z
  .object({
    event_id: z.string(),
    correlation_id: z.string(),
    type: z.string().openapi({ description: "canonical dotted subject" }),
    event_type: z.string().nullable().openapi({ description: "the seed EventType this subject maps to" }),
    source: z.string(),
    timestamp: z.string(),
    version: z.number().int(),
    metadata: z.record(z.string(), z.string()),
    payload: z.unknown(),
    payload_ref: z.string().optional(),
    extensions: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi("Event");

const ResultSchema = z.object({
  index: z.number().int(),
  status: z.enum(["accepted", "rejected"]),
  event_id: z.string().optional(),
  type: z.string().optional(),
  error: z
    .object({
      code: z.string(),
      message: z.string(),
      field: z.string().optional(),
      reason: z.string().optional(),
      required: z.string().optional().openapi({ description: "forbidden: the scope that would allow it" }),
    })
    .optional(),
});

export const PublishResultSchema = z
  .object({ accepted: z.number().int(), rejected: z.number().int(), results: z.array(ResultSchema) })
  .openapi("PublishResult");

export const AcceptedSchema = z
  .object({ event_id: z.string(), type: z.string(), status: z.literal("accepted") })
  .openapi("Accepted");

const subjectFilter = z
  .string()
  .max(256)
  .refine(
    (v) => isEventType(v) || SUBJECT_PATTERN_REGEX.test(v),
    "must be an EventType or a subject pattern (`*`, trailing `>`)",
  );

const repeated = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? (v as unknown[]) : [v]), z.array(item).max(20));

export const HistoryQuerySchema = z.object({
  from: InstantSchema.optional().openapi({ type: "string", description: "epoch ms or ISO-8601" }),
  to: InstantSchema.optional().openapi({ type: "string", description: "epoch ms or ISO-8601" }),
  subject: repeated(subjectFilter).openapi({
    type: "array",
    items: { type: "string" },
    description: "repeatable; wildcards",
  }),
  type: repeated(subjectFilter).openapi({ type: "array", items: { type: "string" }, description: "alias of subject" }),
  source: z.string().max(256).optional(),
  correlation_id: z.string().max(256).optional(),
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  order: z.enum(["asc", "desc"]).default("asc"),
});

export const HistoryPageSchema = z
  .object({ events: z.array(EventSchema), next_cursor: z.string().nullable() })
  .openapi("EventPage");

export const EventIdParamSchema = z.object({ event_id: z.uuid().openapi({ param: { name: "event_id", in: "path" } }) });
