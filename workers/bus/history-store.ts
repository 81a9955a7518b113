/**
 * Event history in D1: idempotent inserts (a redelivered event is stored once), keyset-paginated queries
 * with subject wildcards, and the reads behind `GET /api/v1/events/{event_id}`. Inserts go in chunks that
 * stay under D1's 100 bound parameters per statement, all chunks in one batch.
 */
import { and, asc, desc, eq, gt, gte, inArray, lt, lte, or, type SQL } from "drizzle-orm";
import type { BusEvent } from "../platform/bus/envelope";
import { createDb } from "../platform/db/client";
import { events } from "../platform/db/schema";
import type { Env } from "../platform/env";
import { literalPrefix, subjectMatches } from "../platform/bus/subjects";

const COLUMNS = 12;
const ROWS_PER_STATEMENT = Math.floor(100 / COLUMNS);

type Row = typeof events.$inferSelect;

export function toRow(event: BusEvent, size: number, receivedAt: number): Row {
  return {
    eventId: event.event_id,
    subject: event.type,
    source: event.source,
    correlationId: event.correlation_id,
    timestampMs: Date.parse(event.timestamp),
    version: event.version,
    metadata: event.metadata,
    payload: event.payload_ref ? null : JSON.stringify(event.payload ?? null),
    payloadRef: event.payload_ref ?? null,
    extensions: event.extensions ?? null,
    size,
    receivedAt,
  };
}

export function fromRow(row: Row): BusEvent {
  return {
    event_id: row.eventId,
    correlation_id: row.correlationId,
    type: row.subject,
    source: row.source,
    timestamp: new Date(row.timestampMs).toISOString(),
    version: row.version,
    metadata: row.metadata,
    payload: row.payload === null ? null : (JSON.parse(row.payload) as unknown),
    ...(row.payloadRef ? { payload_ref: row.payloadRef } : {}),
    ...(row.extensions ? { extensions: row.extensions } : {}),
  };
}

/** Stores events once each: a row already there (same event_id) is left as it is. */
export async function insertHistory(env: Pick<Env, "DB">, rows: readonly Row[]): Promise<void> {
  const db = createDb(env.DB);
  const statements = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    statements.push(
      db
        .insert(events)
        .values(rows.slice(i, i + ROWS_PER_STATEMENT))
        .onConflictDoNothing(),
    );
  }
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
}

export async function getHistoryRow(env: Pick<Env, "DB">, eventId: string): Promise<Row | undefined> {
  const rows = await createDb(env.DB).select().from(events).where(eq(events.eventId, eventId)).limit(1);
  return rows[0];
}

export interface HistoryQuery {
  fromMs?: number | undefined;
  toMs?: number | undefined;
  patterns: readonly string[];
  source?: string | undefined;
  correlationId?: string | undefined;
  after?: { ts: number; id: string } | undefined;
  limit: number;
  order: "asc" | "desc";
}

function subjectCondition(patterns: readonly string[]): SQL | undefined {
  const parts: SQL[] = [];
  for (const p of patterns) {
    const prefix = literalPrefix(p);
    if (prefix === p) parts.push(eq(events.subject, p));
    else if (prefix === "") return undefined;
    else {
      const range = and(gte(events.subject, prefix), lt(events.subject, `${prefix}\uffff`));
      if (range) parts.push(range);
    }
  }
  return parts.length ? or(...parts) : undefined;
}

function afterCursor(q: HistoryQuery): SQL | undefined {
  if (!q.after) return undefined;
  const { ts, id } = q.after;
  return q.order === "asc"
    ? or(gt(events.timestampMs, ts), and(eq(events.timestampMs, ts), gt(events.eventId, id)))
    : or(lt(events.timestampMs, ts), and(eq(events.timestampMs, ts), lt(events.eventId, id)));
}

/**
 * One page of history. Wildcards the index cannot express (`*.heartbeat.*`) are checked row by row, so a
 * page is read in a few bounded scans; the cursor then points at the last row scanned, not just returned.
 */
export async function queryHistory(
  env: Pick<Env, "DB">,
  q: HistoryQuery,
): Promise<{ rows: Row[]; next?: { ts: number; id: string } }> {
  const db = createDb(env.DB);
  const out: Row[] = [];
  let cursor = q.after;
  for (let scan = 0; scan < 5 && out.length < q.limit; scan++) {
    const where = and(
      q.fromMs !== undefined ? gte(events.timestampMs, q.fromMs) : undefined,
      q.toMs !== undefined ? lte(events.timestampMs, q.toMs) : undefined,
      q.source ? eq(events.source, q.source) : undefined,
      q.correlationId ? eq(events.correlationId, q.correlationId) : undefined,
      subjectCondition(q.patterns),
      afterCursor({ ...q, after: cursor }),
    );
    const ordering =
      q.order === "asc"
        ? [asc(events.timestampMs), asc(events.eventId)]
        : [desc(events.timestampMs), desc(events.eventId)];
    const batch = await db
      .select()
      .from(events)
      .where(where)
      .orderBy(...ordering)
      .limit(q.limit + 1);
    let consumed = 0;
    for (const row of batch) {
      if (out.length === q.limit) break;
      consumed++;
      cursor = { ts: row.timestampMs, id: row.eventId };
      if (q.patterns.length === 0 || q.patterns.some((p) => subjectMatches(p, row.subject))) out.push(row);
    }
    const more = consumed < batch.length || batch.length === q.limit + 1;
    if (!more) return { rows: out };
    if (out.length === q.limit) break;
  }
  return cursor ? { rows: out, next: cursor } : { rows: out };
}

/**
 * Deletes up to `limit` events botplane received before the cutoff; returns the ids deleted and the R2 ones
 * among them. Retention runs on `received_at`, never on the publisher's `timestamp`: a client with a skewed
 * clock (or replaying old data, like the README's 2009 example) must not lose its events at the next tick.
 */
export async function pruneHistory(
  env: Pick<Env, "DB">,
  cutoffMs: number,
  limit: number,
): Promise<{ deleted: number; blobs: string[] }> {
  const db = createDb(env.DB);
  const old = await db
    .select({ id: events.eventId, ref: events.payloadRef })
    .from(events)
    .where(lt(events.receivedAt, cutoffMs))
    .orderBy(asc(events.receivedAt))
    .limit(limit);
  const ids = old.map((r) => r.id);
  for (let i = 0; i < ids.length; i += 90) await db.delete(events).where(inArray(events.eventId, ids.slice(i, i + 90)));
  return { deleted: ids.length, blobs: old.filter((r) => r.ref !== null).map((r) => r.id) };
}
