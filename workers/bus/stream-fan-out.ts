/**
 * Hands events to the EventStream object for live subscribers. A failure here never fails a publish: the
 * queue consumer hands every event over again, and EventStream de-duplicates by event_id.
 */
import type { BusEvent } from "../platform/bus/envelope";
import type { Env } from "../platform/env";
import { createLogger } from "../platform/logger";
import { appendToStream } from "./stream-client";

export async function fanOutToStream(env: Env, events: BusEvent[]): Promise<void> {
  try {
    await appendToStream(env, events);
  } catch (err) {
    createLogger("bus", env.LOG_LEVEL).warn("live fan-out failed; the queue path will deliver", {
      error: err instanceof Error ? err.message : String(err),
    });
  }
}
