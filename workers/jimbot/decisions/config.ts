/**
 * The decision service's settings: the backend per model (DECISION_BACKENDS: a JSON object of model id → URL,
 * `default` for any other model, or one bare URL for all), the backend deadline (DECISION_DEADLINE, 80 ms by
 * default so a fallback still answers inside the seed's 100 ms SLA), the configured default action
 * (DECISION_FALLBACK_ACTION) and MAX_CONCURRENT_DECISIONS (the seed's 1000). A bad var is logged once and
 * its default stays in force.
 */
import { z } from "zod";
import type { Env } from "../../platform/env";
import { createLogger } from "../../platform/logger";
import {
  type ConfigProblem,
  logProblemsOnce,
  parseDurationMs,
  parsePositiveInt,
  readVar,
} from "../../platform/var-parsers";

export interface DecisionSettings {
  backends: ReadonlyMap<string, string>;
  deadlineMs: number;
  fallbackAction: string;
  maxConcurrent: number;
}

const DEFAULT_DEADLINE_MS = 80;
const DEFAULT_MAX_CONCURRENT = 1000;
const urlSchema = z.url({ protocol: /^https?$/ });
const backendsSchema = z.union([urlSchema, z.record(z.string().min(1), urlSchema)]);

function parseBackends(raw: string, problems: ConfigProblem[]): Map<string, string> {
  const text = raw.trim();
  if (text === "") return new Map();
  let value: unknown = text;
  if (text.startsWith("{")) {
    try {
      value = JSON.parse(text);
    } catch (err) {
      problems.push({ name: "DECISION_BACKENDS", value: raw, message: String(err), fallback: "no backends" });
      return new Map();
    }
  }
  const parsed = backendsSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const message = `${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`;
    problems.push({ name: "DECISION_BACKENDS", value: raw, message, fallback: "no backends" });
    return new Map();
  }
  return typeof parsed.data === "string" ? new Map([["default", parsed.data]]) : new Map(Object.entries(parsed.data));
}

let cached: { key: string; settings: DecisionSettings } | null = null;

/** Parsed once per distinct set of values: the hot path reads it on every decision. */
export function readDecisionSettings(env: Env): DecisionSettings {
  const key = [env.DECISION_BACKENDS, env.DECISION_DEADLINE, env.DECISION_FALLBACK_ACTION, env.MAX_CONCURRENT_DECISIONS]
    .map((v) => v ?? "")
    .join("\u0000");
  if (cached?.key === key) return cached.settings;
  const problems: ConfigProblem[] = [];
  const deadlineMs = readVar(
    problems,
    "DECISION_DEADLINE",
    env.DECISION_DEADLINE,
    DEFAULT_DEADLINE_MS,
    (t) => parseDurationMs(t),
    "80ms",
  );
  const maxConcurrent = readVar(
    problems,
    "MAX_CONCURRENT_DECISIONS",
    env.MAX_CONCURRENT_DECISIONS,
    DEFAULT_MAX_CONCURRENT,
    (t) => parsePositiveInt(t, 1_000_000),
  );
  const settings: DecisionSettings = {
    backends: parseBackends(env.DECISION_BACKENDS, problems),
    deadlineMs,
    fallbackAction: env.DECISION_FALLBACK_ACTION.trim(),
    maxConcurrent,
  };
  if (problems.length > 0) {
    const log = createLogger("jimbot_decisions", env.LOG_LEVEL);
    logProblemsOnce(problems, (m, f) => log.error(m, f));
  }
  cached = { key, settings };
  return settings;
}

/** The backend URL for a model: its own, else `default`'s, else none. */
export function backendFor(settings: DecisionSettings, modelId: string): string | undefined {
  return settings.backends.get(modelId) ?? settings.backends.get("default");
}
