/**
 * Reading ChainBot's audit log: filters (user, action, resource, outcome, a time window) and keyset paging,
 * newest first, with the platform's opaque cursor (timestamp + id of the last row served).
 */
import { and, desc, eq, gte, lt, lte, or, type SQL } from "drizzle-orm";
import { decodeCursor, encodeCursor } from "../../platform/cursor";
import { createDb } from "../../platform/db/client";
import { chainbotAudit } from "../../platform/db/schema";

export interface AuditFilter {
  user?: string | undefined;
  action?: string | undefined;
  resource?: string | undefined;
  outcome?: "success" | "failure" | undefined;
  since?: number | undefined;
  until?: number | undefined;
  cursor?: string | undefined;
  limit: number;
}

export interface AuditRecord {
  id: string;
  timestamp: string;
  user_id: string;
  session_id: string | null;
  action: string;
  resource: string;
  outcome: string;
  status: number | null;
  error: string | null;
  metadata: Record<string, unknown>;
  trace_id: string | null;
}

type Row = typeof chainbotAudit.$inferSelect;

function present(row: Row): AuditRecord {
  return {
    id: row.id,
    timestamp: new Date(row.timestampMs).toISOString(),
    user_id: row.userId,
    session_id: row.sessionId,
    action: row.action,
    resource: row.resource,
    outcome: row.outcome,
    status: row.status,
    error: row.error,
    metadata: row.metadata,
    trace_id: row.traceId,
  };
}

export async function listAudit(
  d1: D1Database,
  filter: AuditFilter,
): Promise<{ entries: AuditRecord[]; next_cursor: string | null }> {
  const t = chainbotAudit;
  const where: (SQL | undefined)[] = [
    filter.user === undefined ? undefined : eq(t.userId, filter.user),
    filter.action === undefined ? undefined : eq(t.action, filter.action),
    filter.resource === undefined ? undefined : eq(t.resource, filter.resource),
    filter.outcome === undefined ? undefined : eq(t.outcome, filter.outcome),
    filter.since === undefined ? undefined : gte(t.timestampMs, filter.since),
    filter.until === undefined ? undefined : lte(t.timestampMs, filter.until),
  ];
  if (filter.cursor !== undefined) {
    const at = decodeCursor(filter.cursor);
    where.push(or(lt(t.timestampMs, at.ts), and(eq(t.timestampMs, at.ts), lt(t.id, at.id))));
  }
  const rows = await createDb(d1)
    .select()
    .from(t)
    .where(and(...where))
    .orderBy(desc(t.timestampMs), desc(t.id))
    .limit(filter.limit + 1);
  const page = rows.slice(0, filter.limit);
  const last = page[page.length - 1];
  const next = rows.length > filter.limit && last ? encodeCursor({ ts: last.timestampMs, id: last.id }) : null;
  return { entries: page.map(present), next_cursor: next };
}
