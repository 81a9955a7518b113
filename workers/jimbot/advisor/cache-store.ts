/**
 * The strategy cache in D1 `strategy_cache`: one row per situation fingerprint with the advice, when it was
 * made and how often it has been served. Bounded: each store evicts the oldest rows beyond MAX_ENTRIES in the
 * same batch.
 */
import type { Env } from "../../platform/env";
import { StrategyAdviceSchema, type StrategyAdvice } from "./schemas";

export const MAX_ENTRIES = 10_000;

export interface CachedStrategy {
  fingerprint: string;
  situation: Record<string, unknown>;
  strategy: StrategyAdvice;
  hits: number;
  createdAt: number;
  lastHitAt: number | null;
}

interface Row {
  fingerprint: string;
  situation: string;
  strategy: string;
  hits: number;
  created_at: number;
  last_hit_at: number | null;
}

function fromRow(row: Row): CachedStrategy | null {
  const strategy = StrategyAdviceSchema.safeParse(JSON.parse(row.strategy));
  // A row written by an older schema is a miss, not a crash.
  if (!strategy.success) return null;
  return {
    fingerprint: row.fingerprint,
    situation: JSON.parse(row.situation) as Record<string, unknown>,
    strategy: strategy.data,
    hits: row.hits,
    createdAt: row.created_at,
    lastHitAt: row.last_hit_at,
  };
}

export async function readCached(env: Env, fingerprint: string): Promise<CachedStrategy | null> {
  const row = await env.DB.prepare("SELECT * FROM strategy_cache WHERE fingerprint = ?").bind(fingerprint).first<Row>();
  return row ? fromRow(row) : null;
}

export async function countHit(env: Env, fingerprint: string, now: number): Promise<void> {
  await env.DB.prepare("UPDATE strategy_cache SET hits = hits + 1, last_hit_at = ? WHERE fingerprint = ?")
    .bind(now, fingerprint)
    .run();
}

export async function storeCached(
  env: Env,
  entry: { fingerprint: string; situation: Record<string, unknown>; strategy: StrategyAdvice },
  now: number,
): Promise<void> {
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO strategy_cache (fingerprint, situation, strategy, hits, created_at, last_hit_at)
       VALUES (?, ?, ?, 0, ?, NULL)
       ON CONFLICT (fingerprint) DO UPDATE SET situation = excluded.situation, strategy = excluded.strategy,
         created_at = excluded.created_at`,
    ).bind(entry.fingerprint, JSON.stringify(entry.situation), JSON.stringify(entry.strategy), now),
    env.DB.prepare(
      `DELETE FROM strategy_cache WHERE fingerprint IN (
         SELECT fingerprint FROM strategy_cache ORDER BY created_at DESC LIMIT -1 OFFSET ?)`,
    ).bind(MAX_ENTRIES),
  ]);
}

export async function listCached(env: Env, limit: number): Promise<{ entries: CachedStrategy[]; total: number }> {
  const [rows, count] = await env.DB.batch<Row | { total: number }>([
    env.DB.prepare("SELECT * FROM strategy_cache ORDER BY created_at DESC, fingerprint LIMIT ?").bind(limit),
    env.DB.prepare("SELECT count(*) AS total FROM strategy_cache"),
  ]);
  const entries = ((rows?.results ?? []) as Row[]).map(fromRow).filter((e): e is CachedStrategy => e !== null);
  const total = ((count?.results ?? [])[0] as { total: number } | undefined)?.total ?? 0;
  return { entries, total };
}

/** Deletes one entry, or all when no fingerprint is given; resolves to how many were removed. */
export async function invalidateCached(env: Env, fingerprint?: string): Promise<number> {
  const result =
    fingerprint === undefined
      ? await env.DB.prepare("DELETE FROM strategy_cache").run()
      : await env.DB.prepare("DELETE FROM strategy_cache WHERE fingerprint = ?").bind(fingerprint).run();
  return result.meta.changes;
}
