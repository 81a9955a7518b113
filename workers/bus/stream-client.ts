/**
 * How the Worker reaches the EventStream object: `streamFor(env)` (a typed stub) and `appendToStream`, the
 * call the publish path makes (inside waitUntil) and the queue consumer may repeat — the object
 * de-duplicates by event_id, so handing an event over twice is harmless.
 */
import type { EventStream } from "../../durable-objects/event-stream";
import { liveForm, type AppendResult } from "../../durable-objects/event-stream-protocol";
import type { BusEvent } from "../platform/bus/envelope";
import type { Env } from "../platform/env";
import { unwrap } from "../platform/errors";
import { type RpcOf, stubOf } from "../platform/rpc";

/** One object for now; splitting the subject space across several is a change here and nowhere else. */
export const STREAM_NAME = "default";
/** Events per RPC call: keeps each call's structured-clone payload modest. */
const APPEND_CHUNK = 100;

export type EventStreamRpc = RpcOf<EventStream>;

export function streamFor(env: Env): EventStreamRpc {
  return stubOf(env.EVENT_STREAM, STREAM_NAME);
}

/**
 * Hands events to live subscribers; resolves to each event's seq (and whether the stream had it already),
 * in input order. Payloads over the live limit are dropped here, before the RPC, not only in the object.
 * Throws an AppError if the object rejects the batch.
 */
export async function appendToStream(env: Env, events: readonly BusEvent[]): Promise<AppendResult[]> {
  const results: AppendResult[] = [];
  for (let i = 0; i < events.length; i += APPEND_CHUNK) {
    const chunk = events.slice(i, i + APPEND_CHUNK).map(liveForm);
    results.push(...unwrap(await streamFor(env).append(chunk)).results);
  }
  return results;
}
