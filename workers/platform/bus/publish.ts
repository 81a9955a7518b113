/**
 * Publishing onto the bus queue. `sendBatch` takes at most 100 messages and 256 KB per call, so events are
 * chunked by both; each accepted event is counted in `jimbot_event_bus_messages_total`.
 */
import { busMessages } from "../metrics/catalog";
import { increment } from "../metrics/recorder";
import type { BusEvent } from "./envelope";

const MAX_BATCH_MESSAGES = 100;
/** Below the 256 KB batch limit, leaving room for per-message overhead. */
const MAX_BATCH_BYTES = 240 * 1024;

function chunks(events: readonly BusEvent[]): BusEvent[][] {
  const out: BusEvent[][] = [];
  let current: BusEvent[] = [];
  let bytes = 0;
  for (const event of events) {
    const size = JSON.stringify(event).length;
    if (current.length > 0 && (current.length === MAX_BATCH_MESSAGES || bytes + size > MAX_BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(event);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** The queue refused a chunk; the first `sent` events (in order) were accepted before it. */
export class PublishError extends Error {
  constructor(
    readonly sent: number,
    cause: unknown,
  ) {
    super(`bus refused events after ${sent} were accepted: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "PublishError";
  }
}

/** Durably enqueues the events, in order (resolves once the queue has accepted every chunk). */
export async function publish(queue: Queue<BusEvent>, events: readonly BusEvent[]): Promise<void> {
  let sent = 0;
  for (const chunk of chunks(events)) {
    try {
      await queue.sendBatch(chunk.map((body) => ({ body, contentType: "json" as const })));
    } catch (err) {
      throw new PublishError(sent, err);
    }
    sent += chunk.length;
    for (const e of chunk) increment(busMessages, { source: e.source, destination: "bus", event_type: e.type });
  }
}
