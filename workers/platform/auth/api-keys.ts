/**
 * API keys for clients that cannot mint JWTs (CLI bots, scrapers, OpenAI SDK apps, game mods). A key is
 * shown once at creation; D1 keeps its SHA-256 only. Lookups are cached briefly in the isolate, and the
 * last-used time is written off the request path, at most once a minute per key.
 */
import { and, desc, eq, isNull } from "drizzle-orm";
import type { Principal } from "../app-env";
import { createDb } from "../db/client";
import { apiKeys, type ApiKeyRow } from "../db/schema";
import type { Env } from "../env";
import { AppError } from "../errors";
import { sha256Hex } from "../sha256";

export const API_KEY_PREFIX = "bpk_";
const LOOKUP_TTL_MS = 10_000;
const LAST_USED_EVERY_MS = 60_000;
const cache = new Map<string, { row: ApiKeyRow | null; until: number }>();

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function hashKey(key: string): Promise<string> {
  return sha256Hex(key);
}

export function isApiKey(credential: string): boolean {
  return credential.startsWith(API_KEY_PREFIX);
}

export interface NewApiKey {
  name: string;
  scopes: string[];
  expiresAt?: number | undefined;
  createdBy: string;
}

/** Creates a key; the returned `key` is the only copy that will ever exist. */
export async function createApiKey(
  env: Env,
  input: NewApiKey,
  now = Date.now(),
): Promise<{ key: string; row: ApiKeyRow }> {
  const key = API_KEY_PREFIX + base64url(crypto.getRandomValues(new Uint8Array(32)));
  const row: ApiKeyRow = {
    id: crypto.randomUUID(),
    name: input.name,
    keyHash: await hashKey(key),
    prefix: key.slice(0, API_KEY_PREFIX.length + 6),
    scopes: input.scopes,
    createdBy: input.createdBy,
    createdAt: now,
    expiresAt: input.expiresAt ?? null,
    revokedAt: null,
    lastUsedAt: null,
  };
  await createDb(env.DB).insert(apiKeys).values(row);
  return { key, row };
}

export async function listApiKeys(env: Env): Promise<ApiKeyRow[]> {
  return createDb(env.DB).select().from(apiKeys).orderBy(desc(apiKeys.createdAt)).limit(1000);
}

/** Revokes a key and returns it; null when no live key has that id. */
export async function revokeApiKey(env: Env, id: string, now = Date.now()): Promise<ApiKeyRow | null> {
  const updated = await createDb(env.DB)
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning();
  for (const { keyHash } of updated) cache.delete(keyHash);
  return updated[0] ?? null;
}

async function lookup(env: Env, keyHash: string, now: number): Promise<ApiKeyRow | null> {
  const hit = cache.get(keyHash);
  if (hit && hit.until > now) return hit.row;
  const rows = await createDb(env.DB).select().from(apiKeys).where(eq(apiKeys.keyHash, keyHash)).limit(1);
  const row = rows[0] ?? null;
  if (cache.size > 2000) cache.clear();
  cache.set(keyHash, { row, until: now + LOOKUP_TTL_MS });
  return row;
}

/**
 * Resolves an API key to its principal. `defer` receives the last-used write so the caller can hand it
 * to `waitUntil` instead of awaiting it.
 */
export async function principalFromApiKey(
  env: Env,
  key: string,
  defer: (work: Promise<unknown>) => void,
  now = Date.now(),
): Promise<Principal> {
  const keyHash = await hashKey(key);
  const row = await lookup(env, keyHash, now);
  if (!row || row.revokedAt !== null) throw new AppError(401, "unauthorized", "unknown or revoked API key");
  if (row.expiresAt !== null && row.expiresAt <= now) throw new AppError(401, "unauthorized", "API key expired");
  if (row.lastUsedAt === null || now - row.lastUsedAt > LAST_USED_EVERY_MS) {
    row.lastUsedAt = now;
    defer(createDb(env.DB).update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, row.id)).run());
  }
  return { kind: "api_key", sub: `api_key:${row.id}`, scopes: row.scopes, keyId: row.id };
}
