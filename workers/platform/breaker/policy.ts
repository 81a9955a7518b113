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
import { type ConfigProblem, DURATION_HINT, logProblemsOnce, parseDurationMs } from "../var-parsers";

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

const durationSchema = z
  .string({ error: `must be a duration with a unit (${DURATION_HINT})` })
  .transform((value, ctx) => {
    const ms = parseDurationMs(value);
    if (!ms.ok) {
      ctx.addIssue({ code: "custom", message: ms.message });
      return z.NEVER;
    }
    return ms.value;
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
    const log = createLogger("config", vars.LOG_LEVEL);
    logProblemsOnce([breakerProblem(raw, message)], (m, fields) => log.error(m, fields));
    table = { overrides: SEED_OVERRIDES, error: message };
  }
  tables.set(raw, table);
  return table;
}

/** The config error to show on a health check, or null when the var is fine or absent. */
export function breakerConfigError(vars: BreakerVars): string | null {
  return policyTable(vars).error;
}

function breakerProblem(raw: string, message: string): ConfigProblem {
  return {
    name: "CIRCUIT_BREAKER_OVERRIDES",
    value: raw,
    message: message.replace(/^CIRCUIT_BREAKER_OVERRIDES: /, ""),
    fallback: "the seed's policies (no extra overrides)",
  };
}

/** The var's problem in config's shape, or null: readConfig lists it with every other var's. */
export function breakerConfigProblem(vars: BreakerVars): ConfigProblem | null {
  const error = policyTable(vars).error;
  return error === null ? null : breakerProblem(vars.CIRCUIT_BREAKER_OVERRIDES ?? "", error);
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
