/**
 * The canonical bus envelope (seed 002's `Event`): event_id (UUID v4), correlation_id, type (a dotted
 * subject such as `botz.workitem.claimed.v1`), source, timestamp (ISO-8601 UTC, milliseconds), version,
 * metadata (string map, carries `traceparent`), payload.
 */
import { z } from "zod";

export const SUBJECT_PATTERN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export const busEventSchema = z.object({
  event_id: z.uuid(),
  correlation_id: z.string().min(1).max(256),
  type: z.string().min(1).max(256).regex(SUBJECT_PATTERN, "must be a dotted subject"),
  source: z.string().min(1).max(256),
  timestamp: z.iso.datetime(),
  version: z.number().int().min(1),
  metadata: z.record(z.string(), z.string()),
  payload: z.unknown(),
  /**
   * Claim check: set instead of an inline payload when the payload is too large for a queue message or a
   * live frame; `GET /api/v1/events/{event_id}` returns the whole event.
   */
  payload_ref: z.string().min(1).optional(),
  /** Top-level keys a publisher sent beyond the envelope's (BalatroMCP adds its own); kept, not dropped. */
  extensions: z.record(z.string(), z.unknown()).optional(),
});

export type BusEvent = z.infer<typeof busEventSchema>;

export interface NewEvent {
  type: string;
  source: string;
  payload: unknown;
  correlationId?: string | undefined;
  traceparent?: string | undefined;
  metadata?: Record<string, string> | undefined;
  eventId?: string | undefined;
  now?: number | undefined;
}

/** Builds an envelope; the event is its own correlation root unless told otherwise. */
export function createEvent(input: NewEvent): BusEvent {
  const eventId = input.eventId ?? crypto.randomUUID();
  const metadata: Record<string, string> = { ...input.metadata };
  if (input.traceparent) metadata.traceparent = input.traceparent;
  return {
    event_id: eventId,
    correlation_id: input.correlationId ?? eventId,
    type: input.type,
    source: input.source,
    timestamp: new Date(input.now ?? Date.now()).toISOString(),
    version: 1,
    metadata,
    payload: input.payload,
  };
}
