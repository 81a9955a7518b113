/**
 * Circuit breaker policies: seed 002's defaults (failure_threshold 5, timeout 30s, half_open_requests 3),
 * its per-component overrides (claude_advisor, memgraph), and extra overrides from the optional var
 * `CIRCUIT_BREAKER_OVERRIDES` (JSON, same shape as the seed's `per_component`). A component takes the
 * override of its own name, else of its longest dotted prefix (`bus.handler` covers
 * `bus.handler.botz.register`), else the defaults.
 */
import { z } from "zod";
import { AppError } from "../errors";
import { createLogger } from "../logger";

export interface BreakerPolicy {
  failureThreshold: number;
  timeoutMs: number;
  halfOpenRequests: number;
}

/** What `breaker()` and the board need from the Worker's env; `Env` satisfies it. */
export interface BreakerVars {
  CIRCUIT_BREAKER_OVERRIDES?: string | undefined;
  LOG_LEVEL?: string | undefined;
}

export const DEFAULT_POLICY: BreakerPolicy = { failureThreshold: 5, timeoutMs: 30_000, halfOpenRequests: 3 };

type PartialPolicy = Partial<BreakerPolicy>;

/** The seed's `per_component` block, verbatim in meaning. */
export const SEED_OVERRIDES: Readonly<Record<string, PartialPolicy>> = {
  claude_advisor: { failureThreshold: 3, timeoutMs: 60_000 },
  memgraph: { failureThreshold: 10, timeoutMs: 15_000 },
};

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `30s`, `1.5m`, `1h` → milliseconds; null when it is not such a duration. */
export function parseDuration(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(text);
  if (!m?.[1] || !m[2]) return null;
  const ms = Math.round(Number(m[1]) * (UNIT_MS[m[2]] ?? Number.NaN));
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

// A bare number is refused rather than guessed at: `30` could mean seconds (seed style) or milliseconds.
const durationSchema = z
  .string({ error: "must be a duration with a unit, e.g. 500ms, 30s, 1m" })
  .transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === null) {
      ctx.addIssue({ code: "custom", message: `"${value}" is not a duration (use e.g. 500ms, 30s, 1m)` });
      return z.NEVER;
    }
    return ms;
  });

const overrideSchema = z
  .strictObject({
    failure_threshold: z.number().int().min(1).max(10_000).optional(),
    timeout: durationSchema.optional(),
    half_open_requests: z.number().int().min(1).max(1_000).optional(),
  })
  .transform((o): PartialPolicy => {
    const p: PartialPolicy = {};
    if (o.failure_threshold !== undefined) p.failureThreshold = o.failure_threshold;
    if (o.timeout !== undefined) p.timeoutMs = o.timeout;
    if (o.half_open_requests !== undefined) p.halfOpenRequests = o.half_open_requests;
    return p;
  });

const overridesSchema = z.record(z.string().min(1).max(256), overrideSchema);

/**
 * Parses `CIRCUIT_BREAKER_OVERRIDES`. Throws an `invalid_config` AppError naming the var, the component and
 * the field, so a typo is a readable config error rather than a breaker that silently ignores it.
 */
export function parseOverrides(raw: string | undefined): Record<string, PartialPolicy> {
  if (raw === undefined || raw.trim() === "") return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new AppError(
      500,
      "invalid_config",
      `CIRCUIT_BREAKER_OVERRIDES: not JSON (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const parsed = overridesSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "(root)";
    throw new AppError(500, "invalid_config", `CIRCUIT_BREAKER_OVERRIDES: ${where}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

export interface PolicyTable {
  overrides: Readonly<Record<string, PartialPolicy>>;
  /** The var's parse error, or null; an invalid var leaves the seed's policies in force. */
  error: string | null;
}

const tables = new Map<string, PolicyTable>();
const policyCache = new Map<string, BreakerPolicy>();

/**
 * The policy table for this env, parsed once per distinct var value. A bad var is logged once per isolate
 * and the seed's policies stay in force: a breaker must keep protecting even when its tuning is broken.
 */
export function policyTable(vars: BreakerVars): PolicyTable {
  const raw = vars.CIRCUIT_BREAKER_OVERRIDES ?? "";
  const hit = tables.get(raw);
  if (hit) return hit;
  let table: PolicyTable;
  try {
    const extra = parseOverrides(raw);
    const merged: Record<string, PartialPolicy> = { ...SEED_OVERRIDES };
    for (const [k, v] of Object.entries(extra)) merged[k] = { ...merged[k], ...v };
    table = { overrides: merged, error: null };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    createLogger("circuit_breaker", vars.LOG_LEVEL).error("invalid circuit breaker config; seed policies in force", {
      error: message,
    });
    table = { overrides: SEED_OVERRIDES, error: message };
  }
  tables.set(raw, table);
  return table;
}

/** The config error to show on a health check, or null when the var is fine or absent. */
export function breakerConfigError(vars: BreakerVars): string | null {
  return policyTable(vars).error;
}

/** The policy for a component: its own override, else its longest dotted prefix's, over the defaults. */
export function resolvePolicy(component: string, overrides: Readonly<Record<string, PartialPolicy>>): BreakerPolicy {
  for (let name = component; ;) {
    const o = overrides[name];
    if (o) return { ...DEFAULT_POLICY, ...o };
    const dot = name.lastIndexOf(".");
    if (dot <= 0) return DEFAULT_POLICY;
    name = name.slice(0, dot);
  }
}

/** `resolvePolicy` against this env's table, memoised: the hot path asks once per check. */
export function policyFor(vars: BreakerVars, component: string): BreakerPolicy {
  const table = policyTable(vars);
  const key = `${vars.CIRCUIT_BREAKER_OVERRIDES ?? ""}\u0000${component}`;
  let policy = policyCache.get(key);
  if (!policy) {
    policy = resolvePolicy(component, table.overrides);
    if (policyCache.size > 10_000) policyCache.clear();
    policyCache.set(key, policy);
  }
  return policy;
}
