/**
 * The dead-letter table, all of it: storing what the consumers give up on (with the error, handler and
 * attempts), listing with filters and a keyset cursor, and replay — the stored message goes back on the bus
 * with its event_id, so history stays one row and handlers that already applied it skip it.
 */
import { and, desc, eq, gte, isNotNull, isNull, lt, lte, or, type SQL } from "drizzle-orm";
import { busEventSchema } from "./envelope";
import { publish, type PublishEnv } from "./publish";
import { createDb } from "../db/client";
import { deadLetters } from "../db/schema";
import type { Env } from "../env";
import { fail, type Result } from "../errors";

export type DeadLetterRow = typeof deadLetters.$inferSelect;

/** A message a consumer gives up on, as it will be stored. */
export interface DeadLetter {
  body: unknown;
  queue: string;
  error: string;
  handler?: string | undefined;
  attempts: number;
}

/** Stores the letters in one D1 batch; throws if D1 refuses (the caller then keeps the messages). */
export async function storeDeadLetters(env: Pick<Env, "DB">, letters: readonly DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  const db = createDb(env.DB);
  const rows = letters.map((l) => {
    const parsed = busEventSchema.safeParse(l.body);
    return {
      id: crypto.randomUUID(),
      eventId: parsed.success ? parsed.data.event_id : null,
      subject: parsed.success ? parsed.data.type : null,
      queue: l.queue,
      body: JSON.stringify(l.body) ?? "null",
      error: l.error,
      handler: l.handler ?? null,
      attempts: l.attempts,
      // The column default is unixepoch() * 1000: whole seconds, which the ms from/to filters would misread.
      createdAt: Date.now(),
    };
  });
  // 10 columns a row: chunks of 9 stay under D1's 100 bound parameters per statement.
  const inserts = [];
  for (let i = 0; i < rows.length; i += 9) inserts.push(db.insert(deadLetters).values(rows.slice(i, i + 9)));
  const [first, ...rest] = inserts;
  if (first) await db.batch([first, ...rest]);
}

export interface DeadLetterFilter {
  subject?: string | undefined;
  eventId?: string | undefined;
  queue?: string | undefined;
  handler?: string | undefined;
  replayed?: boolean | undefined;
  fromMs?: number | undefined;
  toMs?: number | undefined;
}

function conditions(f: DeadLetterFilter): SQL | undefined {
  return and(
    f.subject ? eq(deadLetters.subject, f.subject) : undefined,
    f.eventId ? eq(deadLetters.eventId, f.eventId) : undefined,
    f.queue ? eq(deadLetters.queue, f.queue) : undefined,
    f.handler ? eq(deadLetters.handler, f.handler) : undefined,
    f.replayed === undefined
      ? undefined
      : f.replayed
        ? isNotNull(deadLetters.replayedAt)
        : isNull(deadLetters.replayedAt),
    f.fromMs !== undefined ? gte(deadLetters.createdAt, f.fromMs) : undefined,
    f.toMs !== undefined ? lte(deadLetters.createdAt, f.toMs) : undefined,
  );
}

export async function listDeadLetters(
  env: Pick<Env, "DB">,
  f: DeadLetterFilter,
  limit: number,
  after?: { ts: number; id: string },
) {
  const cursor = after
    ? or(lt(deadLetters.createdAt, after.ts), and(eq(deadLetters.createdAt, after.ts), lt(deadLetters.id, after.id)))
    : undefined;
  const rows = await createDb(env.DB)
    .select()
    .from(deadLetters)
    .where(and(conditions(f), cursor))
    .orderBy(desc(deadLetters.createdAt), desc(deadLetters.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, next: rows.length > limit && last ? { ts: last.createdAt, id: last.id } : undefined };
}

/** Re-publishes one dead letter with its original event_id and marks it replayed. */
export async function replayDeadLetter(
  env: Pick<Env, "DB"> & PublishEnv,
  id: string,
  now = Date.now(),
): Promise<Result<{ row: DeadLetterRow }>> {
  const db = createDb(env.DB);
  const [row] = await db.select().from(deadLetters).where(eq(deadLetters.id, id)).limit(1);
  if (!row) return fail(404, "dead_letter_not_found", `no dead letter '${id}'`);
  const parsed = busEventSchema.safeParse(JSON.parse(row.body));
  if (!parsed.success)
    return fail(409, "not_replayable", "this dead letter is not a valid event envelope; fix the publisher instead", {
      error: row.error,
    });
  await publish(env, [parsed.data], { redeliver: true });
  const [updated] = await db
    .update(deadLetters)
    .set({ replayedAt: now, replayCount: row.replayCount + 1 })
    .where(eq(deadLetters.id, id))
    .returning();
  return { ok: true, row: updated ?? row };
}

/** Replays up to `limit` dead letters matching the filter (not yet replayed unless asked), oldest first. */
export async function replayMatching(env: Pick<Env, "DB"> & PublishEnv, f: DeadLetterFilter, limit: number) {
  const rows = await createDb(env.DB)
    .select({ id: deadLetters.id })
    .from(deadLetters)
    .where(conditions(f))
    .orderBy(deadLetters.createdAt)
    .limit(limit);
  const replayed: string[] = [];
  const skipped: { id: string; reason: string }[] = [];
  for (const { id } of rows) {
    const result = await replayDeadLetter(env, id);
    if (result.ok) replayed.push(id);
    else skipped.push({ id, reason: result.code });
  }
  return { replayed, skipped };
}
