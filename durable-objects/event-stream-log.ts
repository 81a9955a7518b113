/**
 * A bus partition's SQLite log: one row per distinct event_id, numbered by a strictly increasing `seq` (the
 * resume cursor), holding the event as live subscribers get it (a replay sends the same bytes) and, until the
 * queue consumer confirms it, when to re-send it to the queue. De-duplication, delivery tracking, replay reads
 * and retention pruning live here; fan-out and the queue do not.
 */
import { queueForm } from "../workers/platform/bus/claim-check";
import type { BusEvent } from "../workers/platform/bus/envelope";
import type { AppendResult } from "../workers/platform/bus/partition-client";
import type { QueuedEvent } from "../workers/platform/bus/queue-send";
import { eventFrame } from "./event-stream-protocol";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    subject TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    event TEXT NOT NULL,
    message TEXT,
    resend_at INTEGER,
    sends INTEGER NOT NULL DEFAULT 0
  )`,
  "CREATE INDEX IF NOT EXISTS events_correlation ON events (correlation_id, seq)",
  "CREATE INDEX IF NOT EXISTS events_received ON events (received_at)",
  "CREATE INDEX IF NOT EXISTS events_resend ON events (resend_at) WHERE resend_at IS NOT NULL",
];

/** A logged event on its way to the queue: its seq in the log, and the message. */
export type LoggedEvent = QueuedEvent & { seq: number };

export interface LogRow {
  seq: number;
  subject: string;
  correlation_id: string;
  frame: string;
}

/** An event waiting for the queue: its message (queue form) as JSON. */
export interface PendingRow {
  seq: number;
  event_id: string;
  message: string;
  sends: number;
}

type Stored = Record<string, SqlStorageValue>;

function toLogRow(r: Stored): LogRow {
  return {
    seq: Number(r.seq),
    subject: String(r.subject),
    correlation_id: String(r.correlation_id),
    frame: eventFrame(Number(r.seq), String(r.event)),
  };
}

export class StreamLog {
  private lastSeq: number;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly sql: SqlStorage = storage.sql,
  ) {
    for (const statement of SCHEMA) sql.exec(statement);
    // sqlite_sequence remembers the highest seq ever issued, even after pruning emptied the table: a cursor
    // handed out once is never reused for another event.
    const issued =
      sql.exec<{ seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'events'").toArray()[0]?.seq ?? 0;
    const stored = sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM events").one().seq ?? 0;
    this.lastSeq = Math.max(issued, stored);
  }

  get last(): number {
    return this.lastSeq;
  }

  /**
   * Logs the events in order, in one transaction, each due for a (re-)send at `dueAt` unless sent first. Returns a result per
   * input event, the rows that are new (to fan out) and their queue messages (to send now).
   */
  append(
    events: readonly BusEvent[],
    now: number,
    dueAt: number,
    redeliver = false,
  ): { results: AppendResult[]; fresh: LogRow[]; pending: LoggedEvent[] } {
    return this.storage.transactionSync(() => {
      const results: AppendResult[] = [];
      const fresh: LogRow[] = [];
      const pending: LoggedEvent[] = [];
      for (const event of events) {
        const seq = this.lastSeq + 1;
        const live = JSON.stringify(event);
        const queued = queueForm(event);
        const json = queued === event ? live : JSON.stringify(queued);
        const inserted = this.sql
          .exec(
            `INSERT INTO events (seq, event_id, subject, correlation_id, received_at, event, message, resend_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING RETURNING seq`,
            seq,
            event.event_id,
            event.type,
            event.correlation_id,
            now,
            live,
            json === live ? null : json,
            dueAt,
          )
          .toArray();
        if (inserted.length > 0) {
          this.lastSeq = seq;
          results.push({ event_id: event.event_id, seq, duplicate: false });
          fresh.push({ seq, subject: event.type, correlation_id: event.correlation_id, frame: eventFrame(seq, live) });
          pending.push({ seq, event: queued, json });
        } else {
          const first = this.sql
            .exec<{ seq: number; message: string }>(
              "SELECT seq, COALESCE(message, event) AS message FROM events WHERE event_id = ?",
              event.event_id,
            )
            .one();
          results.push({ event_id: event.event_id, seq: first.seq, duplicate: true });
          // A replay: the partition had it (and may have had it confirmed); it goes to the queue once more.
          if (redeliver) {
            this.sql.exec("UPDATE events SET resend_at = ? WHERE seq = ?", dueAt, first.seq);
            pending.push({ seq: first.seq, event: JSON.parse(first.message) as BusEvent, json: first.message });
          }
        }
      }
      return { results, fresh, pending };
    });
  }

  /**
   * Records that these rows went to the queue, in one statement: each is re-sent at `now + wait` unless
   * confirmed first, the wait doubling with every send (`firstWaitMs` after the first, at most `maxWaitMs`).
   */
  markSent(seqs: readonly number[], now: number, firstWaitMs: number, maxWaitMs: number): void {
    if (seqs.length === 0) return;
    this.sql.exec(
      `UPDATE events SET resend_at = ?1 + MIN(?3, ?2 * (1 << MIN(sends, 30))), sends = sends + 1
       WHERE seq IN (SELECT value FROM json_each(?4)) AND resend_at IS NOT NULL`,
      now,
      firstWaitMs,
      maxWaitMs,
      JSON.stringify(seqs),
    );
  }

  /** Stops re-sending these events (the consumer has handled them); returns how many were still pending. */
  confirm(eventIds: readonly string[]): number {
    if (eventIds.length === 0) return 0;
    return this.sql
      .exec(
        `UPDATE events SET resend_at = NULL
         WHERE event_id IN (SELECT value FROM json_each(?)) AND resend_at IS NOT NULL RETURNING 1`,
        JSON.stringify(eventIds),
      )
      .toArray().length;
  }

  /** Holds these events back until `at` (the queue is retrying them itself); returns how many moved. */
  defer(items: readonly { event_id: string; at: number }[]): number {
    let n = 0;
    for (const { event_id, at } of items) {
      n += this.sql
        .exec(
          "UPDATE events SET resend_at = MAX(resend_at, ?) WHERE event_id = ? AND resend_at IS NOT NULL RETURNING 1",
          at,
          event_id,
        )
        .toArray().length;
    }
    return n;
  }

  /** Up to `limit` unconfirmed events due to be (re-)sent by `now`, in seq order. */
  due(now: number, limit: number): PendingRow[] {
    return this.sql
      .exec<Stored>(
        "SELECT seq, event_id, COALESCE(message, event) AS message, sends FROM events WHERE resend_at <= ? ORDER BY seq LIMIT ?",
        now,
        limit,
      )
      .toArray()
      .map((r) => ({
        seq: Number(r.seq),
        event_id: String(r.event_id),
        message: String(r.message),
        sends: Number(r.sends),
      }));
  }

  /** When the next unconfirmed event is due, or null when none waits. */
  nextDueAt(): number | null {
    return this.sql.exec<{ t: number | null }>("SELECT MIN(resend_at) AS t FROM events").one().t;
  }

  undelivered(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE resend_at IS NOT NULL").one().n;
  }

  /** Up to `limit` rows after `seq`, in seq order; narrowed by correlation_id through its index when given. */
  after(seq: number, limit: number, correlationId?: string): LogRow[] {
    const columns = "seq, subject, correlation_id, event";
    const cursor =
      correlationId === undefined
        ? this.sql.exec<Stored>(`SELECT ${columns} FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, seq, limit)
        : this.sql.exec<Stored>(
            `SELECT ${columns} FROM events WHERE correlation_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
            correlationId,
            seq,
            limit,
          );
    return cursor.toArray().map(toLogRow);
  }

  /**
   * Deletes at most `limit` confirmed rows received before `beforeMs`, oldest first; returns how many went.
   * An event the consumer never confirmed is kept (and re-sent) however old it is: retention never loses one.
   */
  pruneChunk(beforeMs: number, limit: number): number {
    return this.sql
      .exec(
        `DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE received_at < ? AND resend_at IS NULL
         ORDER BY received_at, seq LIMIT ?) RETURNING 1`,
        beforeMs,
        limit,
      )
      .toArray().length;
  }

  hasRowsBefore(beforeMs: number): boolean {
    return (
      this.sql.exec("SELECT 1 FROM events WHERE received_at < ? AND resend_at IS NULL LIMIT 1", beforeMs).toArray()
        .length > 0
    );
  }

  size(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM events").one().n;
  }
}
