/**
 * The resource coordinator's settings from vars: capacities per resource type (MEMORY_MB from seed 002's
 * 32 GB memory plan), how long a request may wait in the HTTP call (seed `RESOURCE_REQUEST_TIMEOUT=5s`), how
 * fast waiting requests age, and how long a request may wait in the queue at all. Parsed once per env.
 */
import { z } from "zod";
import { AppError } from "../../platform/errors";
import type { ResourceType } from "./model";
import { durationMs } from "./timeout";

/** The vars read here; `Env` fits it, and the two not yet in wrangler.toml fall back to their defaults. */
export interface ResourceVars {
  RESOURCE_CAPACITY_GPU_COMPUTE?: string | undefined;
  RESOURCE_CAPACITY_MEMORY_MB?: string | undefined;
  RESOURCE_CAPACITY_CLAUDE_API_TOKENS?: string | undefined;
  RESOURCE_REQUEST_TIMEOUT?: string | undefined;
  RESOURCE_AGING_MS?: string | undefined;
  RESOURCE_MAX_WAIT?: string | undefined;
}

const capacity = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? fallback : Number(v)))
    .pipe(z.number().int().positive());

const schema = z.object({
  RESOURCE_CAPACITY_GPU_COMPUTE: capacity(100),
  RESOURCE_CAPACITY_MEMORY_MB: capacity(32_768),
  RESOURCE_CAPACITY_CLAUDE_API_TOKENS: capacity(1_000_000),
  RESOURCE_REQUEST_TIMEOUT: durationMs(5_000),
  RESOURCE_AGING_MS: durationMs(10_000).pipe(z.number().int().positive()),
  RESOURCE_MAX_WAIT: durationMs(10 * 60_000).pipe(z.number().int().positive()),
});

export interface ResourceSettings {
  capacities: Record<ResourceType, number>;
  /** Longest an HTTP caller waits before it gets 202 and a request id. */
  requestTimeoutMs: number;
  /** A waiting request's effective priority rises one level per this much waiting. */
  agingMs: number;
  /** A request still waiting this long after it was made expires, so the queue cannot fill with orphans. */
  maxWaitMs: number;
}

const cache = new WeakMap<object, ResourceSettings>();

export function readResourceSettings(vars: ResourceVars): ResourceSettings {
  const hit = cache.get(vars);
  if (hit) return hit;
  const parsed = schema.safeParse({
    RESOURCE_CAPACITY_GPU_COMPUTE: vars.RESOURCE_CAPACITY_GPU_COMPUTE,
    RESOURCE_CAPACITY_MEMORY_MB: vars.RESOURCE_CAPACITY_MEMORY_MB,
    RESOURCE_CAPACITY_CLAUDE_API_TOKENS: vars.RESOURCE_CAPACITY_CLAUDE_API_TOKENS,
    RESOURCE_REQUEST_TIMEOUT: vars.RESOURCE_REQUEST_TIMEOUT,
    RESOURCE_AGING_MS: vars.RESOURCE_AGING_MS,
    RESOURCE_MAX_WAIT: vars.RESOURCE_MAX_WAIT,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError(500, "invalid_config", `config ${issue?.path.join(".") ?? "?"}: ${issue?.message ?? ""}`);
  }
  const v = parsed.data;
  const settings: ResourceSettings = {
    capacities: {
      GPU_COMPUTE: v.RESOURCE_CAPACITY_GPU_COMPUTE,
      MEMORY_MB: v.RESOURCE_CAPACITY_MEMORY_MB,
      CLAUDE_API_TOKENS: v.RESOURCE_CAPACITY_CLAUDE_API_TOKENS,
    },
    requestTimeoutMs: v.RESOURCE_REQUEST_TIMEOUT,
    agingMs: v.RESOURCE_AGING_MS,
    maxWaitMs: v.RESOURCE_MAX_WAIT,
  };
  cache.set(vars, settings);
  return settings;
}
