/**
 * The RateLimiter object's RPC contract and its one accessor. The class lives in durable-objects/ and
 * implements this contract; platform code reaches it through `rateLimiter` without importing the class.
 */
import type { Env } from "../env";
import type { Result } from "../errors";
import { type RpcOf, stubAs } from "../rpc";
import type { BucketLimits } from "./limits";

export type BucketName = "sustained" | "burst";

export interface TakeResult {
  allowed: boolean;
  /** Whole tokens left in the emptier bucket. */
  remaining: number;
  /** 0 when allowed; else how long until both buckets hold the cost. */
  retry_after_ms: number;
  /** Capacity of the bucket that `remaining` (or the refusal) refers to. */
  limit: number;
  bucket: BucketName;
}

export interface RateLimiterContract {
  /** Spends `cost` tokens from both buckets if both hold it; says how long to wait if not. */
  take(limits: BucketLimits, cost?: number): Promise<Result<TakeResult>>;
}

export type RateLimiterRpc = RpcOf<RateLimiterContract>;

/** The limiter object for one limit key. */
export function rateLimiter(env: Pick<Env, "RATE_LIMITER">, key: string): RateLimiterRpc {
  return stubAs<RateLimiterContract>(env.RATE_LIMITER, key);
}
