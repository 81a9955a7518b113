/**
 * Runtime settings read from vars, with the seeds' defaults. Parsed once per env object: vars do not change
 * while an isolate lives.
 */
import { z } from "zod";
import type { Env } from "./env";
import { AppError } from "./errors";

const positiveInt = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? fallback : Number(v)))
    .pipe(z.number().int().positive());

const configSchema = z.object({
  BOTZ_HEARTBEAT_INTERVAL: positiveInt(30),
  BOTZ_STALE_THRESHOLD: positiveInt(5),
  BOTZ_CLAIM_LEASE_SECONDS: positiveInt(600),
  BOTZ_MAX_CLAIM_ATTEMPTS: positiveInt(3),
  COMPONENT_NAME: z.string().optional().default("botplane"),
  COMPONENT_VERSION: z.string().optional().default("0.1.0"),
});

export interface BotzSettings {
  heartbeatIntervalS: number;
  staleThresholdMs: number;
  leaseMs: number;
  maxClaimAttempts: number;
}

export interface Config {
  botz: BotzSettings;
  componentName: string;
  componentVersion: string;
}

const cache = new WeakMap<object, Config>();

export function readConfig(env: Env): Config {
  const hit = cache.get(env);
  if (hit) return hit;
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError(500, "invalid_config", `config ${issue?.path.join(".") ?? "?"}: ${issue?.message ?? ""}`);
  }
  const v = parsed.data;
  const config: Config = {
    botz: {
      heartbeatIntervalS: v.BOTZ_HEARTBEAT_INTERVAL,
      staleThresholdMs: v.BOTZ_STALE_THRESHOLD * 60_000,
      leaseMs: v.BOTZ_CLAIM_LEASE_SECONDS * 1000,
      maxClaimAttempts: v.BOTZ_MAX_CLAIM_ATTEMPTS,
    },
    componentName: v.COMPONENT_NAME,
    componentVersion: v.COMPONENT_VERSION,
  };
  cache.set(env, config);
  return config;
}
