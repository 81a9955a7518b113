/**
 * The claim check. A queue message holds at most 128 KB and a D1 row should stay slim, so a payload past
 * INLINE_PAYLOAD_LIMIT goes to R2 (the whole event, under a key derived from its id) before it is enqueued;
 * the message and the history row carry `payload_ref` instead. Readers get the whole event back.
 */
import type { BusEvent } from "../platform/bus/envelope";
import type { Env } from "../platform/env";

/** Payloads up to this many bytes of JSON stay inline in the queue message and the history row. */
export const INLINE_PAYLOAD_LIMIT = 4 * 1024;

export function payloadRefFor(eventId: string): string {
  return `/api/v1/events/${eventId}`;
}

function blobKey(eventId: string): string {
  return `events/${eventId}.json`;
}

export function byteLength(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}

export interface CheckedIn {
  /** What travels on the queue and into history: the event itself, or the event with a payload_ref. */
  slim: BusEvent;
  /** Bytes of the payload's JSON. */
  size: number;
}

/** Stores a large payload's event in R2 first (resolving once it is durable) and returns the slim form. */
export async function checkIn(env: Pick<Env, "EVENT_BLOBS">, event: BusEvent): Promise<CheckedIn> {
  if (event.payload_ref) return { slim: event, size: 0 };
  const size = byteLength(JSON.stringify(event.payload ?? null));
  if (size <= INLINE_PAYLOAD_LIMIT) return { slim: event, size };
  await env.EVENT_BLOBS.put(blobKey(event.event_id), JSON.stringify(event), {
    httpMetadata: { contentType: "application/json" },
  });
  const { payload: _payload, ...rest } = event;
  return { slim: { ...rest, payload: null, payload_ref: payloadRefFor(event.event_id) }, size };
}

/** The whole event behind a claim check, or null when R2 no longer has it. */
export async function checkOut(env: Pick<Env, "EVENT_BLOBS">, eventId: string): Promise<BusEvent | null> {
  const object = await env.EVENT_BLOBS.get(blobKey(eventId));
  return object ? await object.json<BusEvent>() : null;
}

export async function deleteBlobs(env: Pick<Env, "EVENT_BLOBS">, eventIds: readonly string[]): Promise<void> {
  if (eventIds.length) await env.EVENT_BLOBS.delete(eventIds.map(blobKey));
}
