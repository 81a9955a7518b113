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

/**
 * Places an event's payload for publishing, measuring its JSON once: a payload past INLINE_PAYLOAD_LIMIT is
 * stored with its event in R2 first (resolving once that is durable) and the event gains `payload_ref`; a
 * payload past LIVE_PAYLOAD_LIMIT is then left off the event live subscribers get (`payload_ref` points at the
 * history route, which returns the whole event). An existing `payload_ref` is kept and never re-stored.
 */
export async function placePayload(env: Pick<Env, "EVENT_BLOBS">, event: BusEvent): Promise<BusEvent> {
  // A claim-checked event in queue form carries `payload: null` beside its ref: the ref is the payload.
  if (event.payload_ref !== undefined && event.payload === null) return { ...event, payload: undefined };
  if (event.payload === undefined) return event;
  const size = byteLength(JSON.stringify(event.payload) ?? "");
  let placed = event;
  if (event.payload_ref === undefined && size > INLINE_PAYLOAD_LIMIT) {
    await env.EVENT_BLOBS.put(blobKey(event.event_id), JSON.stringify(event), {
      httpMetadata: { contentType: "application/json" },
    });
    placed = { ...event, payload_ref: payloadRefFor(event.event_id) };
  }
  if (size <= LIVE_PAYLOAD_LIMIT) return placed;
  // `undefined` drops the key from the JSON frame.
  return { ...placed, payload: undefined, payload_ref: placed.payload_ref ?? payloadRefFor(event.event_id) };
}

/** The event as the queue and history carry it: a referenced payload is left out (null). */
export function queueForm(event: BusEvent): BusEvent {
  return event.payload_ref === undefined || event.payload === null ? event : { ...event, payload: null };
}

/** The whole event behind a claim check, or null when R2 no longer has it. */
export async function checkOut(env: Pick<Env, "EVENT_BLOBS">, eventId: string): Promise<BusEvent | null> {
  const object = await env.EVENT_BLOBS.get(blobKey(eventId));
  return object ? object.json<BusEvent>() : null;
}

export async function deleteBlobs(env: Pick<Env, "EVENT_BLOBS">, eventIds: readonly string[]): Promise<void> {
  if (eventIds.length) await env.EVENT_BLOBS.delete(eventIds.map(blobKey));
}
