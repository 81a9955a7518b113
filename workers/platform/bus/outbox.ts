/**
 * The transactional outbox for Durable Objects. A state change and the event announcing it are written in
 * the same SQLite transaction (`add` is synchronous, so it joins the caller's transaction); the object's
 * alarm then `flush`es pending rows with `send` and deletes them only once `send` has resolved. A crash
 * between the two re-sends on the next alarm: consumers de-duplicate by event_id. It is one of the object's
 * timed works (platform/durable/due-work.ts): `add` asks for the alarm a short batching delay out.
 */
import type { TimedWork } from "../durable/due-work";
import type { BusEvent } from "./envelope";

const FLUSH_BATCH = 100;

/** Hands events to the bus; resolves once they are accepted. The object passes e.g. `(e) => publish(env, e)`. */
export type SendEvents = (events: BusEvent[]) => Promise<void>;

export interface OutboxOptions {
  /** Events wait this long for company: one alarm then sends many in one call instead of one each. */
  flushDelayMs?: number;
  /** Retries back off 2 s, 4 s, 8 s, ... up to this. */
  maxBackoffMs?: number;
}

export interface FlushResult {
  sent: number;
  error?: string;
}

export class Outbox implements TimedWork<FlushResult> {
  private running: Promise<FlushResult> | null = null;
  private requestIn: ((delayMs: number) => void) | null = null;
  private readonly flushDelayMs: number;
  private readonly maxBackoffMs: number;

  constructor(
    private readonly sql: SqlStorage,
    private readonly send: SendEvents,
    options: OutboxOptions = {},
  ) {
    this.flushDelayMs = options.flushDelayMs ?? 50;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
    sql.exec(`CREATE TABLE IF NOT EXISTS outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      event TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL DEFAULT 0
    )`);
  }

  bind(requestIn: (delayMs: number) => void): void {
    this.requestIn = requestIn;
  }

  /** Writes the event in the caller's transaction and asks for a flush after the batching delay. */
  add(event: BusEvent): void {
    this.sql.exec("INSERT INTO outbox (event) VALUES (?)", JSON.stringify(event));
    this.requestIn?.(this.flushDelayMs);
  }

  /** When the next flush is due, or null when nothing waits. */
  nextDueAt(): number | null {
    const row = this.sql.exec<{ due: number | null }>("SELECT MIN(next_attempt_at) AS due FROM outbox").one();
    return row.due;
  }

  size(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n;
  }

  run(now: number): Promise<FlushResult> {
    return this.flush(now);
  }

  /**
   * Sends everything pending, a batch at a time; on a send error backs off and reports it. A flush already
   * under way (alarm and cron tick can overlap) is joined rather than run twice, which would send twice.
   */
  flush(now: number): Promise<FlushResult> {
    this.running ??= this.flushAll(now).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async flushAll(now: number): Promise<FlushResult> {
    let sent = 0;
    for (;;) {
      const rows = this.sql
        .exec<{ seq: number; event: string; attempts: number }>(
          "SELECT seq, event, attempts FROM outbox WHERE next_attempt_at <= ? ORDER BY seq LIMIT ?",
          now,
          FLUSH_BATCH,
        )
        .toArray();
      if (rows.length === 0) return { sent };
      // AUTOINCREMENT keeps later inserts above this batch, so "due and not after the last seq" is exactly
      // the rows just read, in two bound parameters rather than one per row.
      const lastSeq = rows[rows.length - 1]?.seq ?? 0;
      try {
        await this.send(rows.map((r) => JSON.parse(r.event) as BusEvent));
      } catch (err) {
        const attempts = (rows[0]?.attempts ?? 0) + 1;
        const delay = Math.min(this.maxBackoffMs, 1000 * 2 ** attempts);
        // Every due row waits, not just this batch: later rows going first would reorder the stream.
        this.sql.exec(
          "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE next_attempt_at <= ?",
          now + delay,
          now,
        );
        return { sent, error: err instanceof Error ? err.message : String(err) };
      }
      this.sql.exec("DELETE FROM outbox WHERE seq <= ? AND next_attempt_at <= ?", lastSeq, now);
      sent += rows.length;
    }
  }
}
