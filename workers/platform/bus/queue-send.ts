/**
 * Handing events to the bus queue. `sendBatch` takes at most 100 messages and 256 KB per call, so events are
 * chunked by both, in order. Only a bus partition calls this: everything else publishes through a partition,
 * which logs an event durably before the queue ever sees it.
 */
import type { BusEvent } from "./envelope";

const MAX_BATCH_MESSAGES = 100;
/** Below the 256 KB batch limit, leaving room for per-message overhead. */
const MAX_BATCH_BYTES = 240 * 1024;

export interface QueuedEvent {
  event: BusEvent;
  /** The event's JSON, already made for the log: its length is the message's size. */
  json: string;
}

function chunks(events: readonly QueuedEvent[]): QueuedEvent[][] {
  const out: QueuedEvent[][] = [];
  let current: QueuedEvent[] = [];
  let bytes = 0;
  for (const item of events) {
    const size = item.json.length;
    if (current.length > 0 && (current.length === MAX_BATCH_MESSAGES || bytes + size > MAX_BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Sends the events in order; resolves to how many the queue accepted before any failure, and that failure. */
export async function sendToQueue(
  queue: Queue<BusEvent>,
  events: readonly QueuedEvent[],
): Promise<{ sent: number; error?: string }> {
  let sent = 0;
  for (const chunk of chunks(events)) {
    try {
      await queue.sendBatch(chunk.map(({ event }) => ({ body: event, contentType: "json" as const })));
    } catch (err) {
      return { sent, error: err instanceof Error ? err.message : String(err) };
    }
    sent += chunk.length;
  }
  return { sent };
}
