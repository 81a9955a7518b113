/**
 * Where an event's payload travels. A queue message holds at most 128 KB and a D1 row should stay slim, so a
 * payload past INLINE_PAYLOAD_LIMIT is written to R2 (the whole event, under a key derived from its id) before
 * the event is accepted, and the event carries `payload_ref`; queue messages and history rows then leave the
 * payload out. Live subscribers get payloads up to LIVE_PAYLOAD_LIMIT inline, larger ones by reference.
 */
import type { Env } from "../env";
import type { BusEvent } from "./envelope";

/** Payloads up to this many bytes of JSON stay inline in the queue message and the history row. */
export const INLINE_PAYLOAD_LIMIT = 4 * 1024;
/** Payloads larger than this reach live subscribers as a `payload_ref` instead. */
export const LIVE_PAYLOAD_LIMIT = 64 * 1024;

export function payloadRefFor(eventId: string): string {
  return `/api/v1/events/${eventId}`;
}

function blobKey(eventId: string): string {
  return `events/${eventId}.json`;
}

export function byteLength(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}

function utf8Length(text: string, limit: number): number {
  // A UTF-16 unit is at most 3 UTF-8 bytes: only measure exactly when the cheap bound is inconclusive.
  if (text.length > limit || text.length * 3 <= limit) return text.length;
  return byteLength(text);
}

/**
 * Stores a large payload's event in R2 (resolving once it is durable) and marks the event with its
 * `payload_ref`; the payload itself stays on the event for live subscribers. Small events come back as they are.
 */
export async function checkIn(env: Pick<Env, "EVENT_BLOBS">, event: BusEvent): Promise<BusEvent> {
  if (event.payload_ref !== undefined) return event;
  const size = byteLength(JSON.stringify(event.payload ?? null));
  if (size <= INLINE_PAYLOAD_LIMIT) return event;
  await env.EVENT_BLOBS.put(blobKey(event.event_id), JSON.stringify(event), {
    httpMetadata: { contentType: "application/json" },
  });
  return { ...event, payload_ref: payloadRefFor(event.event_id) };
}

/** The event as the queue and history carry it: a referenced payload is left out (null). */
export function queueForm(event: BusEvent): BusEvent {
  return event.payload_ref === undefined || event.payload === null ? event : { ...event, payload: null };
}

/**
 * The event as live subscribers get it: a payload over LIVE_PAYLOAD_LIMIT is left out and `payload_ref`
 * points at the history route, which returns the whole event. An existing `payload_ref` is kept.
 */
export function liveForm(event: BusEvent): BusEvent {
  // A claim-checked event in queue form carries `payload: null` beside its ref: the ref is the payload.
  if (event.payload_ref !== undefined && event.payload === null) return { ...event, payload: undefined };
  if (event.payload === undefined) return event;
  const size = utf8Length(JSON.stringify(event.payload) ?? "", LIVE_PAYLOAD_LIMIT);
  if (size <= LIVE_PAYLOAD_LIMIT) return event;
  // `undefined` drops the key from the JSON frame.
  return { ...event, payload: undefined, payload_ref: event.payload_ref ?? payloadRefFor(event.event_id) };
}

/** The whole event behind a claim check, or null when R2 no longer has it. */
export async function checkOut(env: Pick<Env, "EVENT_BLOBS">, eventId: string): Promise<BusEvent | null> {
  const object = await env.EVENT_BLOBS.get(blobKey(eventId));
  return object ? object.json<BusEvent>() : null;
}

export async function deleteBlobs(env: Pick<Env, "EVENT_BLOBS">, eventIds: readonly string[]): Promise<void> {
  if (eventIds.length) await env.EVENT_BLOBS.delete(eventIds.map(blobKey));
}
