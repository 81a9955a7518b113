/**
 * The EventStream's SQLite log: one row per distinct event_id, numbered by a strictly increasing `seq`
 * (the resume cursor), holding the exact frame live subscribers got so a replay sends the same bytes.
 * De-duplication, replay reads and retention pruning live here; fan-out does not.
 */
import type { BusEvent } from "../workers/platform/bus/envelope";
import { eventFrame, liveForm, type AppendResult } from "./event-stream-protocol";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    subject TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    frame TEXT NOT NULL
  )`,
  "CREATE INDEX IF NOT EXISTS log_correlation ON log (correlation_id, seq)",
  "CREATE INDEX IF NOT EXISTS log_received ON log (received_at)",
];

export interface LogRow {
  seq: number;
  subject: string;
  correlation_id: string;
  frame: string;
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
      sql.exec<{ seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'log'").toArray()[0]?.seq ?? 0;
    const stored = sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM log").one().seq ?? 0;
    this.lastSeq = Math.max(issued, stored);
  }

  get last(): number {
    return this.lastSeq;
  }

  /**
   * Logs the events in order, in one transaction. Returns a result per input event and the rows that are
   * new (the ones to fan out); an event_id seen before keeps its first seq and is not fanned out again.
   */
  append(events: readonly BusEvent[], now: number): { results: AppendResult[]; fresh: LogRow[] } {
    return this.storage.transactionSync(() => {
      const results: AppendResult[] = [];
      const fresh: LogRow[] = [];
      for (const event of events) {
        const seq = this.lastSeq + 1;
        const frame = eventFrame(seq, liveForm(event));
        const inserted = this.sql
          .exec(
            "INSERT INTO log (seq, event_id, subject, correlation_id, received_at, frame) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING RETURNING seq",
            seq,
            event.event_id,
            event.type,
            event.correlation_id,
            now,
            frame,
          )
          .toArray();
        if (inserted.length > 0) {
          this.lastSeq = seq;
          results.push({ event_id: event.event_id, seq, duplicate: false });
          fresh.push({ seq, subject: event.type, correlation_id: event.correlation_id, frame });
        } else {
          const first = this.sql.exec<{ seq: number }>("SELECT seq FROM log WHERE event_id = ?", event.event_id).one();
          results.push({ event_id: event.event_id, seq: first.seq, duplicate: true });
        }
      }
      return { results, fresh };
    });
  }

  /** Up to `limit` rows after `seq`, in seq order; narrowed by correlation_id through its index when given. */
  after(seq: number, limit: number, correlationId?: string): LogRow[] {
    const columns = "seq, subject, correlation_id, frame";
    const cursor =
      correlationId === undefined
        ? this.sql.exec<Record<keyof LogRow, SqlStorageValue>>(
            `SELECT ${columns} FROM log WHERE seq > ? ORDER BY seq LIMIT ?`,
            seq,
            limit,
          )
        : this.sql.exec<Record<keyof LogRow, SqlStorageValue>>(
            `SELECT ${columns} FROM log WHERE correlation_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
            correlationId,
            seq,
            limit,
          );
    return cursor.toArray().map((r) => ({
      seq: Number(r.seq),
      subject: String(r.subject),
      correlation_id: String(r.correlation_id),
      frame: String(r.frame),
    }));
  }

  /** Deletes at most `limit` rows received before `beforeMs`, oldest first; returns how many went. */
  pruneChunk(beforeMs: number, limit: number): number {
    return this.sql
      .exec(
        "DELETE FROM log WHERE seq IN (SELECT seq FROM log WHERE received_at < ? ORDER BY received_at, seq LIMIT ?) RETURNING 1",
        beforeMs,
        limit,
      )
      .toArray().length;
  }

  hasRowsBefore(beforeMs: number): boolean {
    return this.sql.exec("SELECT 1 FROM log WHERE received_at < ? LIMIT 1", beforeMs).toArray().length > 0;
  }

  size(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM log").one().n;
  }
}
