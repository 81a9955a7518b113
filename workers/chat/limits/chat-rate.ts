/**
 * Chat rate limits per founder per surface (seed 003 "Provider Router", key `wb:rate:{founder_id}:{surface}`)
 * as exact token buckets in the platform's RateLimiter object: one object per key serialises every take, so
 * N concurrent turns against N tokens pass exactly N. The limits are a stored `rate_limits` row for the key
 * or a `wb:rate:*`-style prefix (PUT /api/v1/config/rate_limits), else the surface's CHAT_RATE_LIMITS entry.
 * Like the platform middleware, a limiter fault lets the turn through (logged) rather than failing chat.
 */
import type { Env } from "../../platform/env";
import { AppError } from "../../platform/errors";
import type { Logger } from "../../platform/logger";
import { rateLimited } from "../../platform/metrics/catalog";
import { increment } from "../../platform/metrics/recorder";
import { rateLimiter, type TakeResult } from "../../platform/rate-limit/limiter";
import { type BucketLimits, limitsFor } from "../../platform/rate-limit/limits";
import type { Surface } from "../surfaces";
import { limitsConfig } from "./config";

/** The seed's key; its `wb:` prefix is the rate counter's, whatever the session's namespace. */
export function chatRateKey(founderId: string, surface: Surface): string {
  return `wb:rate:${founderId}:${surface}`;
}

async function limitsOf(env: Env, key: string, surface: Surface): Promise<BucketLimits> {
  const stored = await limitsFor(env, key);
  // The generic `default` row and the seed-002 fallback are for the event API, not chat turns.
  if (stored.source.startsWith("wb:")) return stored;
  return limitsConfig(env).rateLimits[surface];
}

/** Spends one token of the founder's surface bucket; null when the limiter could not be asked (let through). */
export async function takeChatToken(
  env: Env,
  founderId: string,
  surface: Surface,
  log: Logger,
): Promise<TakeResult | null> {
  const key = chatRateKey(founderId, surface);
  try {
    const result = await rateLimiter(env, key).take(await limitsOf(env, key, surface));
    if (result.ok) return result;
    log.error("chat rate limit misconfigured; turn let through", { key, error: result.message });
  } catch (err) {
    log.error("rate limiter unavailable; chat turn let through", {
      key,
      error: err instanceof Error ? err.message : String(err),
    });
  }
  return null;
}

/** Whole seconds for `Retry-After`, at least 1. */
export function retryAfterSeconds(result: TakeResult): number {
  return Math.max(1, Math.ceil(result.retry_after_ms / 1000));
}

/**
 * One turn's token for `/chat` and `/ws`: throws 429 `rate_limited` (one error shape, `Retry-After`) when the
 * founder's bucket for this surface is empty.
 */
export async function enforceChatRate(
  env: Env,
  founderId: string,
  surface: Surface,
  log: Logger,
): Promise<TakeResult | null> {
  const result = await takeChatToken(env, founderId, surface, log);
  if (!result || result.allowed) return result;
  increment(rateLimited, { limit: "chat" });
  const seconds = retryAfterSeconds(result);
  throw new AppError(
    429,
    "rate_limited",
    `chat rate limit for surface '${surface}' exceeded (${result.bucket} bucket of ${result.limit}); retry in ${seconds} s`,
    { limit: "chat", surface, bucket: result.bucket, retry_after_ms: result.retry_after_ms },
    { "Retry-After": String(seconds), "RateLimit-Limit": String(result.limit), "RateLimit-Remaining": "0" },
  );
}
