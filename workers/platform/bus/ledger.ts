/**
 * The handler ledger and the last delivery failure per event, in D1. A handler whose effect is in D1 writes
 * its ledger row in the same batch (transaction) as the effect (`applyOnce`), so effect and mark commit
 * together or not at all; for every other handler the row, written after success, only spares a redelivery
 * the work — their effect records its own idempotency key where it lives (a Durable Object's SQLite).
 */
import { eq, inArray } from "drizzle-orm";
import { createDb } from "../db/client";
import { deliveryFailures, handlerLedger } from "../db/schema";
import type { Env } from "../env";

/** `event_id␟handler` for every pair already applied among these events. */
export async function appliedPairs(env: Pick<Env, "DB">, eventIds: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  if (eventIds.length === 0) return out;
  const db = createDb(env.DB);
  for (let i = 0; i < eventIds.length; i += 90) {
    const rows = await db
      .select()
      .from(handlerLedger)
      .where(inArray(handlerLedger.eventId, eventIds.slice(i, i + 90)));
    for (const r of rows) out.add(pairKey(r.eventId, r.handler));
  }
  return out;
}

export function pairKey(eventId: string, handler: string): string {
  return `${eventId}\u241f${handler}`;
}

export async function markApplied(env: Pick<Env, "DB">, eventId: string, handler: string, now: number): Promise<void> {
  await createDb(env.DB).insert(handlerLedger).values({ eventId, handler, appliedAt: now }).onConflictDoNothing();
}

export async function recordFailure(
  env: Pick<Env, "DB">,
  eventId: string,
  handler: string,
  error: string,
  attempts: number,
  now: number,
): Promise<void> {
  const row = { eventId, handler, error: error.slice(0, 4000), attempts, updatedAt: now };
  await createDb(env.DB)
    .insert(deliveryFailures)
    .values(row)
    .onConflictDoUpdate({ target: deliveryFailures.eventId, set: row });
}

export async function lastFailure(env: Pick<Env, "DB">, eventId: string) {
  const rows = await createDb(env.DB)
    .select()
    .from(deliveryFailures)
    .where(eq(deliveryFailures.eventId, eventId))
    .limit(1);
  return rows[0];
}

export async function clearFailure(env: Pick<Env, "DB">, eventId: string): Promise<void> {
  await createDb(env.DB).delete(deliveryFailures).where(eq(deliveryFailures.eventId, eventId));
}

/**
 * Runs `statements` and the ledger row as one D1 batch (a transaction). A ledger row already there fails the
 * whole batch on its primary key, so nothing is applied twice: resolves false in that case.
 */
export async function applyOnce(
  env: Pick<Env, "DB">,
  eventId: string,
  handler: string,
  statements: readonly D1PreparedStatement[],
  now = Date.now(),
): Promise<boolean> {
  const mark = env.DB.prepare("INSERT INTO handler_ledger (event_id, handler, applied_at) VALUES (?, ?, ?)").bind(
    eventId,
    handler,
    now,
  );
  try {
    await env.DB.batch([mark, ...statements]);
    return true;
  } catch (err) {
    if (/UNIQUE constraint failed: handler_ledger/i.test(err instanceof Error ? err.message : String(err)))
      return false;
    throw err;
  }
}
