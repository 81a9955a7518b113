/**
 * Resume: the replay that takes a subscriber from its cursor to the log's end and hands it over to live
 * fan-out without a gap or a repeat. The object is single-threaded, and the only awaits are between
 * batches, so the read that finds the end of the log and `goLive` run in one synchronous step: an append
 * lands either before that read (and is replayed) or after `goLive` (and is pushed live).
 */
import type { LogRow, StreamLog } from "./event-stream-log";
import { matchesFilter, type StreamFilter } from "./event-stream-protocol";

/** Where replayed rows go: a socket or an SSE stream. */
export interface ReplaySink {
  readonly closed: boolean;
  send(row: LogRow): void;
  /** Waits between batches (backpressure, or just a turn for waiting appends). */
  drain(): Promise<void>;
  /** Must take effect synchronously: from here on live fan-out includes this subscriber. */
  goLive(): void;
}

export async function replay(
  log: StreamLog,
  since: number,
  filter: StreamFilter,
  batchSize: number,
  sink: ReplaySink,
): Promise<void> {
  let cursor = since;
  for (;;) {
    const rows = log.after(cursor, batchSize, filter.correlation_id);
    for (const row of rows) if (matchesFilter(filter, row.subject, row.correlation_id)) sink.send(row);
    const last = rows[rows.length - 1];
    if (!last || rows.length < batchSize) {
      sink.goLive();
      return;
    }
    cursor = last.seq;
    await sink.drain();
    if (sink.closed) return;
  }
}
