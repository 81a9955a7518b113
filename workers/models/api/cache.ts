/**
 * The exact-match inference cache (opt-in per request or per function, with a TTL), kept in D1 — not the
 * Cache API, which does nothing on workers.dev and is per data centre. Keyed on the normalised request. An
 * expired entry is kept a while longer so that, when every provider fails, it can still be served marked
 * `stale`.
 */
import { and, eq, gt } from "drizzle-orm";
import { createDb } from "../../platform/db/client";
import { inferenceCache } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import { sha256Hex } from "../../platform/sha256";
import type { ChatResult } from "../types";

/** How long past its TTL an entry may still be served as stale. */
export const STALE_GRACE_MS = 7 * 24 * 3600_000;

export interface CacheOptions {
  read: boolean;
  write: boolean;
  ttlS: number;
  /** Serve only entries younger than this (TensorZero's `max_age_s`). */
  maxAgeS?: number | undefined;
}

export interface CachedAnswer {
  result: ChatResult;
  variant: string;
  provider: string;
  model: string;
  tier: string;
}

/** SHA-256 of the request's canonical JSON (key order fixed by construction). */
export function cacheKey(parts: Record<string, unknown>): Promise<string> {
  return sha256Hex(JSON.stringify(parts));
}

export async function readCache(
  env: Pick<Env, "DB">,
  key: string,
  opts: { now: number; maxAgeS?: number | undefined; stale?: boolean },
): Promise<CachedAnswer | null> {
  const db = createDb(env.DB);
  const floor = opts.stale ? opts.now - STALE_GRACE_MS : opts.now;
  const [row] = await db
    .select()
    .from(inferenceCache)
    .where(and(eq(inferenceCache.key, key), gt(inferenceCache.expiresAt, floor)))
    .limit(1);
  if (!row) return null;
  if (!opts.stale && opts.maxAgeS !== undefined && opts.now - row.createdAt > opts.maxAgeS * 1000) return null;
  return JSON.parse(row.response) as CachedAnswer;
}

export async function writeCache(
  env: Pick<Env, "DB">,
  key: string,
  functionName: string,
  answer: CachedAnswer,
  ttlS: number,
  now: number,
): Promise<void> {
  const row = {
    key,
    functionName,
    embedding: null,
    response: JSON.stringify(answer),
    createdAt: now,
    expiresAt: now + ttlS * 1000,
  };
  await createDb(env.DB)
    .insert(inferenceCache)
    .values(row)
    .onConflictDoUpdate({ target: inferenceCache.key, set: row });
}

/** Deletes entries past their stale grace, a bounded chunk per cron tick. */
export async function pruneInferenceCache(env: Pick<Env, "DB">, now: number): Promise<number> {
  const result = await env.DB.prepare(
    "DELETE FROM inference_cache WHERE rowid IN (SELECT rowid FROM inference_cache WHERE expires_at < ? LIMIT 500)",
  )
    .bind(now - STALE_GRACE_MS)
    .run();
  return result.meta.changes;
}
