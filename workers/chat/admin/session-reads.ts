/**
 * The operators' read model of chat sessions, built from `transcripts` (a session's live state expires with
 * its object; its transcript stays): one row per session, and a session's transcript rows, both keyset-paged.
 * What operators may read is decided here: phone numbers and credential-like strings in message text are
 * masked, and Sovereign (mode 3, namespace `wbs`) rows are shown as counts only — never their text.
 */
import { and, asc, desc, eq, gt, lt, or, sql, type SQL } from "drizzle-orm";
import { createDb } from "../../platform/db/client";
import { transcripts } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import { maskCredential, maskPhones } from "../mask";

export interface SessionFilter {
  workspaceId?: string | undefined;
  founderId?: string | undefined;
}

export interface Position {
  ts: number;
  id: string;
}

const lastAt = sql<number>`max(${transcripts.createdAt})`.mapWith(Number);

export interface SessionRow {
  sessionId: string;
  workspaceId: string;
  founderId: string | null;
  namespace: string;
  surface: string | null;
  trustMode: number | null;
  turns: number;
  firstAt: number;
  lastAt: number;
}

/** Sessions with their latest activity first; `after` is the last row of the previous page. */
export async function listSessions(
  env: Pick<Env, "DB">,
  filter: SessionFilter,
  limit: number,
  after: Position | null,
): Promise<SessionRow[]> {
  const where: SQL[] = [];
  if (filter.workspaceId !== undefined) where.push(eq(transcripts.workspaceId, filter.workspaceId));
  if (filter.founderId !== undefined) where.push(eq(transcripts.founderId, filter.founderId));
  const rows = await createDb(env.DB)
    .select({
      sessionId: transcripts.sessionId,
      workspaceId: sql<string>`max(${transcripts.workspaceId})`,
      founderId: sql<string | null>`max(${transcripts.founderId})`,
      namespace: sql<string>`max(${transcripts.namespace})`,
      surface: sql<string | null>`max(${transcripts.surface})`,
      trustMode: sql<number | null>`max(${transcripts.trustMode})`,
      turns: sql<number>`count(*)`.mapWith(Number),
      firstAt: sql<number>`min(${transcripts.createdAt})`.mapWith(Number),
      lastAt,
    })
    .from(transcripts)
    .where(where.length > 0 ? and(...where) : undefined)
    .groupBy(transcripts.sessionId)
    .having(
      after === null
        ? undefined
        : or(lt(lastAt, after.ts), and(eq(lastAt, after.ts), lt(transcripts.sessionId, after.id))),
    )
    .orderBy(desc(lastAt), desc(transcripts.sessionId))
    .limit(limit);
  return rows;
}

export type TranscriptRow = typeof transcripts.$inferSelect;

/** A session's transcript rows, oldest first. */
export async function sessionTranscript(
  env: Pick<Env, "DB">,
  sessionId: string,
  limit: number,
  after: Position | null,
): Promise<TranscriptRow[]> {
  const position =
    after === null
      ? undefined
      : or(gt(transcripts.createdAt, after.ts), and(eq(transcripts.createdAt, after.ts), gt(transcripts.id, after.id)));
  return createDb(env.DB)
    .select()
    .from(transcripts)
    .where(and(eq(transcripts.sessionId, sessionId), position))
    .orderBy(asc(transcripts.createdAt), asc(transcripts.id))
    .limit(limit);
}

// JWTs and `Bearer …`/API-key-like runs that a founder may have pasted into a message.
const CREDENTIAL = /\beyJ[\w-]+\.[\w-]+\.[\w-]+|\b(?:sk|pk|bp|key)[-_][\w-]{12,}/g;

function maskText(text: string): string {
  return maskPhones(text.replace(CREDENTIAL, (m) => maskCredential(m) ?? "***"));
}

/** Every string inside a stored message, masked; structure kept. */
export function maskMessages(value: unknown): unknown {
  if (typeof value === "string") return maskText(value);
  if (Array.isArray(value)) return value.map(maskMessages);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskMessages(v)]));
  return value;
}

export const SOVEREIGN = "wbs";

export function presentTranscriptRow(row: TranscriptRow) {
  const redacted = row.namespace === SOVEREIGN;
  return {
    id: row.id,
    at: new Date(row.createdAt).toISOString(),
    surface: row.surface,
    trust_mode: row.trustMode,
    namespace: row.namespace,
    message_count: row.messages.length,
    redacted,
    messages: redacted ? null : (maskMessages(row.messages) as unknown[]),
  };
}

export function presentSession(row: SessionRow) {
  return {
    session_id: row.sessionId,
    workspace_id: row.workspaceId,
    founder_id: row.founderId,
    namespace: row.namespace,
    surface: row.surface,
    trust_mode: row.trustMode,
    turns: row.turns,
    first_at: new Date(row.firstAt).toISOString(),
    last_at: new Date(row.lastAt).toISOString(),
  };
}
