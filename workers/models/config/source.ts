/**
 * Which config is in force. In order: the newest D1 `gateway_configs` row (set through the admin route),
 * else the `GATEWAY_CONFIG` var (TOML text; handy in .dev.vars, but Worker vars are capped at 5 KB), else the
 * bundled seed config. The D1 row is cached per isolate and re-read at most every 10 s, so a change reaches
 * every isolate within 10 s (at once on the isolate that stored it). A source that is present but invalid
 * (a var typo, a stored row an older/newer build reads differently) does not take the gateway down: its
 * error, naming the key, is reported and the next valid source serves — ultimately the bundled file.
 */
import type { Env } from "../../platform/env";
import { createLogger } from "../../platform/logger";
import { BUNDLED_TOML } from "./bundled-config";
import type { EnvVars } from "./interpolate";
import { parseGatewayConfigCached } from "./load";
import { readNewestConfig, type StoredConfig } from "./store";
import type { ConfigIssue, GatewayConfig } from "./types";

export type ConfigSource = "stored" | "env" | "bundled";

export interface LoadedConfig {
  config: GatewayConfig;
  /** Where the config in force came from. */
  source: ConfigSource;
  /** Set when a higher-precedence source is invalid: its first issue, naming the key. */
  error?: string | undefined;
  errorSource?: ConfigSource | undefined;
  issues?: ConfigIssue[] | undefined;
  /** The newest stored row, whether or not it is the one in force. */
  stored?: { id: number; createdAt: number; createdBy: string } | undefined;
}

export const STORED_CONFIG_TTL_MS = 10_000;

let cached: { at: number; row: StoredConfig | null } | undefined;
let refreshing: Promise<unknown> | undefined;

/** The Worker env as plain name → value, for `${env.NAME}` lookups. */
export function envVars(env: Env): EnvVars {
  return env as unknown as EnvVars;
}

async function fetchRow(env: Env): Promise<StoredConfig | null> {
  try {
    const row = await readNewestConfig(env.DB);
    cached = { at: Date.now(), row };
    return row;
  } catch (err) {
    // D1 unreachable: keep serving what this isolate last saw (or the lower sources) and try again in 10 s.
    createLogger("models.config", env.LOG_LEVEL).warn("reading gateway_configs failed", {
      error: err instanceof Error ? err.message : String(err),
    });
    cached = { at: Date.now(), row: cached?.row ?? null };
    return cached.row;
  }
}

async function storedRow(
  env: Env,
  waitUntil: ((p: Promise<unknown>) => void) | undefined,
): Promise<StoredConfig | null> {
  if (cached && Date.now() - cached.at < STORED_CONFIG_TTL_MS) return cached.row;
  if (cached && waitUntil) {
    // Stale but present: answer with it and refresh off the request path.
    if (!refreshing) {
      refreshing = fetchRow(env).finally(() => {
        refreshing = undefined;
      });
      waitUntil(refreshing);
    }
    return cached.row;
  }
  return fetchRow(env);
}

/** After the admin route stores a row, this isolate uses it at once. */
export function rememberStoredConfig(row: StoredConfig): void {
  cached = { at: Date.now(), row };
}

/** Forget the cached D1 row (tests that write `gateway_configs` directly). */
export function clearConfigCache(): void {
  cached = undefined;
}

export interface LoadOptions {
  /** `ctx.waitUntil`: lets a stale cached row be refreshed in the background instead of on the request. */
  waitUntil?: ((p: Promise<unknown>) => void) | undefined;
}

export async function loadGatewayConfig(env: Env, opts: LoadOptions = {}): Promise<LoadedConfig> {
  const row = await storedRow(env, opts.waitUntil);
  const vars = envVars(env);
  const candidates: [ConfigSource, string][] = [];
  if (row) candidates.push(["stored", row.toml]);
  if (env.GATEWAY_CONFIG?.trim()) candidates.push(["env", env.GATEWAY_CONFIG]);
  candidates.push(["bundled", BUNDLED_TOML]);

  const stored = row ? { id: row.id, createdAt: row.createdAt, createdBy: row.createdBy } : undefined;
  let failed: Pick<LoadedConfig, "error" | "errorSource" | "issues"> = {};
  for (const [source, text] of candidates) {
    const result = parseGatewayConfigCached(text, vars);
    if (result.ok) return { config: result.config, source, ...failed, stored };
    if (failed.error === undefined) failed = { error: result.error, errorSource: source, issues: result.issues };
  }
  // Only reachable if the bundled file itself is broken, which the config tests rule out.
  throw new Error(`bundled gateway config is invalid: ${failed.error ?? "unknown"}`);
}
