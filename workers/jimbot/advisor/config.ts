/**
 * The strategy advisor's settings: the answer deadline (STRATEGY_TIMEOUT, the seed's `timeout: 5s`, never
 * more), how long a cached strategy is served without asking the model (STRATEGY_CACHE_TTL) and which
 * gateway function answers (STRATEGY_FUNCTION). A bad var is logged once and its default stays in force.
 */
import type { Env } from "../../platform/env";
import { createLogger } from "../../platform/logger";
import { type ConfigProblem, logProblemsOnce, type Parsed, parseDurationMs, readVar } from "../../platform/var-parsers";
import { MAX_STRATEGY_TIMEOUT_MS } from "./schemas";

export interface AdvisorSettings {
  timeoutMs: number;
  cacheTtlMs: number;
  functionName: string;
}

/** The rate-limit key and breaker component of the advisor's model calls: the seed's component name. */
export const ADVISOR_COMPONENT = "claude_advisor";
const DEFAULT_CACHE_TTL_MS = 3_600_000;

function duration(name: string, raw: string | undefined, fallback: number, max: number, problems: ConfigProblem[]) {
  const parse = (text: string): Parsed<number> => {
    const parsed = parseDurationMs(text);
    return parsed.ok && parsed.value > max ? { ok: false, message: `must be at most ${max} ms` } : parsed;
  };
  return readVar(problems, name, raw, fallback, parse, `${fallback} ms`);
}

export function readAdvisorSettings(env: Env): AdvisorSettings {
  const problems: ConfigProblem[] = [];
  const settings = {
    timeoutMs: duration(
      "STRATEGY_TIMEOUT",
      env.STRATEGY_TIMEOUT,
      MAX_STRATEGY_TIMEOUT_MS,
      MAX_STRATEGY_TIMEOUT_MS,
      problems,
    ),
    cacheTtlMs: duration("STRATEGY_CACHE_TTL", env.STRATEGY_CACHE_TTL, DEFAULT_CACHE_TTL_MS, 31_536_000_000, problems),
    functionName: env.STRATEGY_FUNCTION.trim() || "strategy",
  };
  if (problems.length > 0) {
    const log = createLogger("jimbot_advisor", env.LOG_LEVEL);
    logProblemsOnce(problems, (m, f) => log.error(m, f));
  }
  return settings;
}
