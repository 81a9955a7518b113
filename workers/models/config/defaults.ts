/**
 * Tier inference and the default time budgets. The defaults are chosen so a request whose every tier fails
 * is answered within ~10 s: each attempt gets 4 s on local/free (an Ollama on a Pi or Workers AI that has not
 * answered by then is not going to be quick) and 8 s on plans/cloud, 2.5 s to the first streamed token, no
 * retries of the same variant (falling through to the next tier is the retry), and the function's overall
 * deadline of 10 s cuts whatever remains (the router gives each attempt min(its budget, time left)).
 */
import type { ProviderType, Tier } from "../types";
import type { CacheConfig, Retries, Timeouts } from "./types";

/** Seed 001's tiers by well-known provider name; an explicit `tier =` wins, unknown names go by type. */
const TIER_BY_NAME: Readonly<Record<string, Tier>> = {
  ollama: "local",
  cloudflare: "free",
  openrouter: "plans",
  glm: "plans",
  google: "cloud",
  google_gemini: "cloud",
  anthropic: "cloud",
  openai: "cloud",
};

const TIER_BY_TYPE: Readonly<Record<ProviderType, Tier>> = {
  ollama: "local",
  cloudflare: "free",
  openai: "cloud",
  anthropic: "cloud",
  google: "cloud",
};

export function inferTier(
  name: string,
  type: ProviderType,
  explicit: Tier | undefined,
): { tier: Tier; source: "explicit" | "name" | "type" } {
  if (explicit) return { tier: explicit, source: "explicit" };
  const byName = Object.hasOwn(TIER_BY_NAME, name) ? TIER_BY_NAME[name] : undefined;
  if (byName) return { tier: byName, source: "name" };
  return { tier: TIER_BY_TYPE[type], source: "type" };
}

export const DEFAULT_DEADLINE_MS = 10_000;
const FAST_TIER_TOTAL_MS = 4_000;
const SLOW_TIER_TOTAL_MS = 8_000;
const DEFAULT_TTFT_MS = 2_500;
/** Once a stream has started it may run long; only a stall is a failure, which ttft and this cap bound. */
const DEFAULT_STREAM_TOTAL_MS = 120_000;

export function defaultTimeouts(tier: Tier): Timeouts {
  const fast = tier === "local" || tier === "free";
  return {
    nonStreamingTotalMs: fast ? FAST_TIER_TOTAL_MS : SLOW_TIER_TOTAL_MS,
    streamingTtftMs: DEFAULT_TTFT_MS,
    streamingTotalMs: DEFAULT_STREAM_TOTAL_MS,
  };
}

export const DEFAULT_RETRIES: Retries = { numRetries: 0, maxDelayS: 2 };

/** Variants without `weight` sort after weighted ones in their tier (TensorZero's default weight is 0, too). */
export const DEFAULT_WEIGHT = 0;

export const DEFAULT_CACHE: CacheConfig = { enabled: false, ttlS: 3600, semanticTtlS: 3600 };
