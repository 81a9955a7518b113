/**
 * The limits in force for a rate-limit key, and their storage in D1 `rate_limits`. A key resolves to its
 * exact row, else the longest prefix pattern that matches it (`publish:*`), else the `default` row, else
 * seed 002's limiter (capacity 100, refill 100/hour, burst 10 per second).
 *
 * Propagation bound: each isolate caches the whole table for at most LIMITS_CACHE_MS (2 s) — one D1 read
 * per isolate per 2 s however many keys it limits. A PUT is in force at once on the isolate that served it
 * and on every other isolate within 2 s (plus the one D1 read that refreshes it).
 */
import { createDb } from "../db/client";
import { rateLimits } from "../db/schema";
import type { Env } from "../env";

/** One key's two buckets: sustained (capacity, refilled per hour) and burst (capacity = refill per second). */
export interface BucketLimits {
  capacity: number;
  refill_per_hour: number;
  burst_per_second: number;
}

export interface StoredLimit extends BucketLimits {
  key: string;
  updated_at: number;
  updated_by: string;
}

/** The limits for a key and which row (or `seed`) they came from. */
export interface EffectiveLimits extends BucketLimits {
  source: string;
}

export const SEED_LIMITS: Readonly<BucketLimits> = { capacity: 100, refill_per_hour: 100, burst_per_second: 10 };
export const DEFAULT_KEY = "default";
export const LIMITS_CACHE_MS = 2_000;

interface Snapshot {
  exact: Map<string, BucketLimits>;
  /** Prefix patterns, longest prefix first, so the first match is the most specific. */
  prefixes: [prefix: string, limits: BucketLimits][];
  until: number;
}

let snapshot: Snapshot | null = null;

function limitsOf(row: BucketLimits): BucketLimits {
  return { capacity: row.capacity, refill_per_hour: row.refill_per_hour, burst_per_second: row.burst_per_second };
}

function buildSnapshot(rows: readonly StoredLimit[], until: number): Snapshot {
  const exact = new Map<string, BucketLimits>();
  const prefixes: [string, BucketLimits][] = [];
  for (const row of rows) {
    if (row.key.endsWith("*")) prefixes.push([row.key.slice(0, -1), limitsOf(row)]);
    else exact.set(row.key, limitsOf(row));
  }
  prefixes.sort((a, b) => b[0].length - a[0].length);
  return { exact, prefixes, until };
}

/** Pure resolution over stored rows: exact, then longest prefix, then `default`, then the seed. */
export function resolveLimits(rows: readonly StoredLimit[], key: string): EffectiveLimits {
  return resolveIn(buildSnapshot(rows, 0), key);
}

function resolveIn(snap: Snapshot, key: string): EffectiveLimits {
  const exact = snap.exact.get(key);
  if (exact) return { ...exact, source: key };
  const prefix = snap.prefixes.find(([p]) => key.startsWith(p));
  if (prefix) return { ...prefix[1], source: `${prefix[0]}*` };
  const fallback = snap.exact.get(DEFAULT_KEY);
  if (fallback) return { ...fallback, source: DEFAULT_KEY };
  return { ...SEED_LIMITS, source: "seed" };
}

export async function listStoredLimits(env: Env): Promise<StoredLimit[]> {
  const rows = await createDb(env.DB).select().from(rateLimits).orderBy(rateLimits.key);
  return rows.map((r) => ({
    key: r.key,
    capacity: r.capacity,
    refill_per_hour: r.refillPerHour,
    burst_per_second: r.burstPerSecond,
    updated_at: r.updatedAt,
    updated_by: r.updatedBy,
  }));
}

/**
 * The limits in force for `key`. A request whose isolate cache has expired reads D1 itself (no promise is
 * shared between requests: workerd forbids awaiting another request's I/O). If D1 fails, the stale
 * snapshot stays in force for another period rather than failing requests; with none, the error is thrown.
 */
export async function limitsFor(env: Env, key: string, now = Date.now()): Promise<EffectiveLimits> {
  if (snapshot && now < snapshot.until) return resolveIn(snapshot, key);
  try {
    snapshot = buildSnapshot(await listStoredLimits(env), now + LIMITS_CACHE_MS);
  } catch (err) {
    if (!snapshot) throw err;
    snapshot.until = now + LIMITS_CACHE_MS;
  }
  return resolveIn(snapshot, key);
}

/** Drops this isolate's cache, so the isolate that stored a change applies it on its next request. */
export function forgetLimits(): void {
  snapshot = null;
}

/** Upserts each key's limits in one D1 batch. */
export async function storeLimits(env: Env, limits: readonly StoredLimit[]): Promise<void> {
  const [first, ...rest] = limits;
  if (!first) return;
  const db = createDb(env.DB);
  const upsert = (l: StoredLimit) => {
    const values = {
      capacity: l.capacity,
      refillPerHour: l.refill_per_hour,
      burstPerSecond: l.burst_per_second,
      updatedAt: l.updated_at,
      updatedBy: l.updated_by,
    };
    return db
      .insert(rateLimits)
      .values({ key: l.key, ...values })
      .onConflictDoUpdate({ target: rateLimits.key, set: values });
  };
  await db.batch([upsert(first), ...rest.map(upsert)]);
  forgetLimits();
}
