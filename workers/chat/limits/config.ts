/**
 * The vars of chat rate limits, workspace budgets and semantic recall, read with the platform's one policy:
 * absent or blank → the documented default; set but invalid → the default too, logged once. Parsed once
 * per env object.
 */
import type { BucketLimits } from "../../platform/rate-limit/limits";
import { MAX_BURST, MAX_CAPACITY, refillPerHour } from "../../platform/rate-limit/schemas";
import { describeProblems } from "../../platform/config";
import { createLogger } from "../../platform/logger";
import {
  type ConfigProblem,
  logProblemsOnce,
  type Parsed,
  parsePositiveInt,
  readVar,
} from "../../platform/var-parsers";
import { SURFACES, type Surface } from "../surfaces";

export interface LimitVars {
  CHAT_RATE_LIMITS?: string | undefined;
  CHAT_MONTHLY_BUDGET_USD?: string | undefined;
  CHAT_RECALL_TOP_K?: string | undefined;
  CHAT_RECALL_THRESHOLD?: string | undefined;
  LOG_LEVEL?: string | undefined;
}

export interface LimitsConfig {
  /** Per surface: a bucket of `capacity` refilled at that many per period, and a per-second burst. */
  rateLimits: Record<Surface, BucketLimits>;
  /** The monthly budget of a workspace with none of its own, in USD; 0 = no budget. */
  monthlyBudgetUsd: number;
  /** Earlier transcripts recalled into a turn's context at most; 0 turns recall off. */
  recallTopK: number;
  /** Cosine similarity an earlier transcript needs to be recalled. */
  recallThreshold: number;
  problems: ConfigProblem[];
}

export const DEFAULT_RATE_LIMITS_TEXT = "web=120/hour:10,extension=120/hour:10,sms=30/hour:3,discord=60/hour:5";
const ENTRY = /^(\w+)=([1-9][0-9]*)\/(second|minute|hour|day)(?::([1-9][0-9]*))?$/;

/** `web=120/hour:10,sms=30/hour:3`: capacity 120 refilled 120 an hour, bursts of 10 a second. */
export function parseRateLimits(
  text: string,
  base: Record<Surface, BucketLimits>,
): Parsed<Record<Surface, BucketLimits>> {
  const out = { ...base };
  for (const raw of text.split(",")) {
    const entry = raw.replace(/\s+/g, "");
    if (entry === "") continue;
    const m = ENTRY.exec(entry);
    const surface = m?.[1];
    if (!m || !surface) return { ok: false, message: `"${raw.trim()}" is not '<surface>=<n>/<unit>[:<burst>]'` };
    if (!(SURFACES as readonly string[]).includes(surface))
      return { ok: false, message: `unknown surface '${surface}' (one of ${SURFACES.join(", ")})` };
    const capacity = Number(m[2]);
    const perHour = refillPerHour(`${m[2]}/${m[3]}`);
    const burst = m[4] === undefined ? Math.min(capacity, 10) : Number(m[4]);
    if (capacity > MAX_CAPACITY || perHour === null || burst > MAX_BURST)
      return { ok: false, message: `"${raw.trim()}" is out of range` };
    out[surface as Surface] = { capacity, refill_per_hour: perHour, burst_per_second: burst };
  }
  return { ok: true, value: out };
}

const DEFAULT_RATE_LIMITS = (() => {
  const none = { capacity: 1, refill_per_hour: 1, burst_per_second: 1 };
  const parsed = parseRateLimits(DEFAULT_RATE_LIMITS_TEXT, { web: none, extension: none, sms: none, discord: none });
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
})();

function parseUsd(text: string): Parsed<number> {
  const t = text.trim();
  const n = /^\d+(\.\d{1,6})?$/.test(t) ? Number(t) : Number.NaN;
  if (!Number.isFinite(n) || n > 1_000_000)
    return { ok: false, message: `"${text}" is not an amount of USD (0–1000000)` };
  return { ok: true, value: n };
}

function parseSimilarity(text: string): Parsed<number> {
  const n = Number(text.trim());
  if (text.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1)
    return { ok: false, message: `"${text}" is not a similarity from 0 to 1` };
  return { ok: true, value: n };
}

function parseTopK(text: string): Parsed<number> {
  return text.trim() === "0" ? { ok: true, value: 0 } : parsePositiveInt(text, 20);
}

const cache = new WeakMap<object, LimitsConfig>();

export function limitsConfig(vars: LimitVars): LimitsConfig {
  const hit = cache.get(vars);
  if (hit) return hit;
  const problems: ConfigProblem[] = [];
  const read = <T>(name: keyof LimitVars, fallback: T, shown: string, parse: (t: string) => Parsed<T>): T =>
    readVar(problems, name, vars[name], fallback, parse, shown);
  const config: LimitsConfig = {
    rateLimits: read("CHAT_RATE_LIMITS", DEFAULT_RATE_LIMITS, DEFAULT_RATE_LIMITS_TEXT, (t) =>
      parseRateLimits(t, DEFAULT_RATE_LIMITS),
    ),
    monthlyBudgetUsd: read("CHAT_MONTHLY_BUDGET_USD", 0, "0", parseUsd),
    recallTopK: read("CHAT_RECALL_TOP_K", 3, "3", parseTopK),
    recallThreshold: read("CHAT_RECALL_THRESHOLD", 0.75, "0.75", parseSimilarity),
    problems,
  };
  const log = createLogger("chat-limits-config", vars.LOG_LEVEL);
  logProblemsOnce(problems, (message, fields) => log.error(message, fields));
  cache.set(vars, config);
  return config;
}

/** The /health check: fails naming every limits, budget or recall var that is set but unusable. */
export function chatLimitsHealthCheck(vars: LimitVars): Promise<void> {
  const { problems } = limitsConfig(vars);
  if (problems.length === 0) return Promise.resolve();
  return Promise.reject(new Error(describeProblems(problems)));
}
