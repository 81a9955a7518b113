/**
 * `rateLimit({ name, key })`: Hono middleware that spends one token of the caller's key from its
 * RateLimiter Durable Object and answers 429 with `Retry-After` when either bucket is empty.
 *
 * Cost: one Durable Object round trip per limited request. That is inherent to an exact limiter — the
 * count lives in one place, so every request must reach it; a per-isolate approximation would avoid the
 * trip but let a client exceed its limit by a factor of the isolates it reaches. The limits themselves
 * come from the isolate's 2-second cache (limits.ts), not D1.
 *
 * If the limiter cannot be reached or cannot apply the limits, the request goes through (fail open) and
 * the error is logged: a fault in the limiter must not become an outage of the API.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { AppError, type Failure } from "../errors";
import { logFor } from "../logger";
import { rateLimited } from "../metrics/catalog";
import { increment } from "../metrics/recorder";
import { rateLimiter, type TakeResult } from "./limiter";
import { limitsFor } from "./limits";

export interface RateLimitOptions {
  /** The limit's name: the `limit` label on `botplane_rate_limited_total` and in the 429's details. */
  name: string;
  /** The bucket key for this request (e.g. `publish:<principal>`); null leaves the request unlimited. */
  key: (c: Context<AppEnv>) => string | null;
  cost?: number;
}

async function take(c: Context<AppEnv>, key: string, cost: number): Promise<TakeResult | null> {
  let result: ({ ok: true } & TakeResult) | Failure;
  try {
    result = await rateLimiter(c.env, key).take(await limitsFor(c.env, key), cost);
  } catch (err) {
    logFor(c).error("rate limiter unavailable; request let through", {
      key,
      error: err instanceof Error ? err.message : String(err),
    });
    return null;
  }
  // Limits the limiter cannot apply (a hand-edited row, a cost above capacity) are an operator's bug, not
  // the caller's: treated like an outage.
  if (!result.ok) {
    logFor(c).error("rate limit misconfigured; request let through", { key, error: result.message });
    return null;
  }
  return result;
}

export function rateLimit(options: RateLimitOptions): MiddlewareHandler<AppEnv> {
  const cost = options.cost ?? 1;
  return async function rateLimitMiddleware(c, next) {
    const key = options.key(c);
    const result = key === null ? null : await take(c, key, cost);
    if (!result) return next();
    if (!result.allowed) {
      increment(rateLimited, { limit: options.name });
      const seconds = Math.max(1, Math.ceil(result.retry_after_ms / 1000));
      throw new AppError(
        429,
        "rate_limited",
        `rate limit '${options.name}' exceeded (${result.bucket} bucket of ${result.limit}); retry in ${seconds} s`,
        { limit: options.name, retry_after_ms: result.retry_after_ms },
        { "Retry-After": String(seconds), "RateLimit-Limit": String(result.limit), "RateLimit-Remaining": "0" },
      );
    }
    await next();
    c.header("RateLimit-Limit", String(result.limit));
    c.header("RateLimit-Remaining", String(result.remaining));
  };
}
