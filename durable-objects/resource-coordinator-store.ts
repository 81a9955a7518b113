/**
 * ResourceCoordinator's SQLite layer: the schema, the queue order (effective priority with aging, then
 * FIFO), capacity sums, and rows turned into the domain model. All synchronous, so the object composes it
 * inside one transaction with no await in between.
 */
import type { Grant, Priority, RequestStatus, RequestView, ResourceType, Waiter } from "./resource-coordinator-model";
import { MAX_RANK, priorityAt } from "./resource-coordinator-model";

export const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS grants (
    grant_id TEXT PRIMARY KEY, request_id TEXT NOT NULL, component TEXT NOT NULL, type TEXT NOT NULL,
    amount INTEGER NOT NULL, priority TEXT NOT NULL, granted_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
    released_at INTEGER, end_reason TEXT)`,
  // Capacity sums and expiry both look only at grants still held.
  "CREATE INDEX IF NOT EXISTS grants_active ON grants (type, component) WHERE released_at IS NULL",
  "CREATE INDEX IF NOT EXISTS grants_expiry ON grants (expires_at) WHERE released_at IS NULL",
  "CREATE INDEX IF NOT EXISTS grants_ended ON grants (released_at) WHERE released_at IS NOT NULL",
  // seq breaks ties between requests made in the same millisecond: FIFO is arrival order.
  `CREATE TABLE IF NOT EXISTS requests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL UNIQUE, component TEXT NOT NULL,
    type TEXT NOT NULL, amount INTEGER NOT NULL, duration_ms INTEGER NOT NULL, priority TEXT NOT NULL,
    priority_rank INTEGER NOT NULL, requested_at INTEGER NOT NULL, status TEXT NOT NULL, grant_id TEXT,
    traceparent TEXT, updated_at INTEGER NOT NULL)`,
  "CREATE INDEX IF NOT EXISTS requests_waiting ON requests (type, requested_at) WHERE status = 'waiting'",
  "CREATE INDEX IF NOT EXISTS requests_updated ON requests (status, updated_at)",
];

type Row = Record<string, SqlStorageValue>;

export interface WaitingRow {
  seq: number;
  request_id: string;
  component: string;
  type: ResourceType;
  amount: number;
  duration_ms: number;
  priority: Priority;
  requested_at: number;
  effective_rank: number;
  traceparent: string | null;
}

function iso(ms: SqlStorageValue | undefined): string {
  return new Date(Number(ms)).toISOString();
}

export function toGrant(r: Row): Grant {
  const ended = r.released_at !== null && r.released_at !== undefined;
  return {
    grant_id: String(r.grant_id),
    request_id: String(r.request_id),
    component: String(r.component),
    type: r.type as ResourceType,
    amount: Number(r.amount),
    priority: r.priority as Priority,
    granted_at: iso(r.granted_at),
    expires_at: iso(r.expires_at),
    released_at: ended ? iso(r.released_at) : null,
    status: ended ? (r.end_reason === "expired" ? "expired" : "released") : "active",
  };
}

export function grantRow(sql: SqlStorage, grantId: string): Row | undefined {
  return sql.exec("SELECT * FROM grants WHERE grant_id = ?", grantId).toArray()[0];
}

export function requestRow(sql: SqlStorage, requestId: string): Row | undefined {
  return sql.exec("SELECT * FROM requests WHERE request_id = ?", requestId).toArray()[0];
}

export function grantedAmount(sql: SqlStorage, type: ResourceType): number {
  return (
    sql
      .exec<{ n: number | null }>("SELECT SUM(amount) AS n FROM grants WHERE type = ? AND released_at IS NULL", type)
      .one().n ?? 0
  );
}

/**
 * One type's waiting requests in the order they are served: effective priority (the priority plus one level
 * per `agingMs` waited, capped at CRITICAL) highest first, then oldest first.
 */
export function waitingQueue(sql: SqlStorage, type: ResourceType, now: number, agingMs: number): WaitingRow[] {
  return sql
    .exec<Record<string, SqlStorageValue>>(
      `SELECT seq, request_id, component, type, amount, duration_ms, priority, requested_at, traceparent,
        MIN(?, priority_rank + CAST(MAX(0, ? - requested_at) / ? AS INTEGER)) AS effective_rank
      FROM requests WHERE type = ? AND status = 'waiting'
      ORDER BY effective_rank DESC, requested_at, seq`,
      MAX_RANK,
      now,
      agingMs,
      type,
    )
    .toArray()
    .map((r) => ({
      seq: Number(r.seq),
      request_id: String(r.request_id),
      component: String(r.component),
      type: r.type as ResourceType,
      amount: Number(r.amount),
      duration_ms: Number(r.duration_ms),
      priority: r.priority as Priority,
      requested_at: Number(r.requested_at),
      effective_rank: Number(r.effective_rank),
      traceparent: r.traceparent === null || r.traceparent === undefined ? null : String(r.traceparent),
    }));
}

export function toWaiter(w: WaitingRow, position: number): Waiter {
  return {
    request_id: w.request_id,
    component: w.component,
    type: w.type,
    amount: w.amount,
    duration_ms: w.duration_ms,
    priority: w.priority,
    effective_priority: priorityAt(w.effective_rank),
    requested_at: iso(w.requested_at),
    position,
  };
}

export function toRequestView(r: Row, grant: Grant | null, waiter: Waiter | null): RequestView {
  return {
    request_id: String(r.request_id),
    component: String(r.component),
    type: r.type as ResourceType,
    amount: Number(r.amount),
    duration_ms: Number(r.duration_ms),
    priority: r.priority as Priority,
    status: r.status as RequestStatus,
    requested_at: iso(r.requested_at),
    updated_at: iso(r.updated_at),
    effective_priority: waiter?.effective_priority ?? null,
    position: waiter?.position ?? null,
    grant,
  };
}

/** When the next grant expires or the oldest waiter times out; null when neither exists. */
export function nextDeadline(sql: SqlStorage, maxWaitMs: number): number | null {
  const expiry = sql
    .exec<{ t: number | null }>("SELECT MIN(expires_at) AS t FROM grants WHERE released_at IS NULL")
    .one().t;
  const oldest = sql
    .exec<{ t: number | null }>("SELECT MIN(requested_at) AS t FROM requests WHERE status = 'waiting'")
    .one().t;
  const candidates = [expiry, oldest === null ? null : oldest + maxWaitMs].filter((t): t is number => t !== null);
  return candidates.length ? Math.min(...candidates) : null;
}

/** Drops ended grants and finished requests older than `before`: the tables hold live state, not history. */
export function prune(sql: SqlStorage, before: number): void {
  sql.exec("DELETE FROM grants WHERE released_at IS NOT NULL AND released_at < ?", before);
  sql.exec("DELETE FROM requests WHERE status != 'waiting' AND updated_at < ?", before);
}
