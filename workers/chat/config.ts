/**
 * The chat gateway's vars, read with the platform's one policy: absent or blank → the documented default;
 * set but invalid → the default too, logged once. Parsed once per env object.
 */
import { describeProblems } from "../platform/config";
import { createLogger } from "../platform/logger";
import {
  type ConfigProblem,
  logProblemsOnce,
  type Parsed,
  parseDurationMs,
  parsePositiveInt,
  readVar,
} from "../platform/var-parsers";

export interface ChatVars {
  CHAT_SESSION_TTL?: string | undefined;
  CHAT_CONTEXT_TOKEN_BUDGET?: string | undefined;
  CHAT_FUNCTION?: string | undefined;
  CHAT_TOOL_MAX_DEPTH?: string | undefined;
  LOG_LEVEL?: string | undefined;
}

export interface ChatConfig {
  /** A session idle this long is expired by its alarm (seed: 24 hours, configurable). */
  sessionTtlMs: number;
  /** Estimated tokens of context kept verbatim; older turns are folded into the rolling summary. */
  contextTokenBudget: number;
  /** The model gateway function every reply and summary goes through. */
  functionName: string;
  /** Model → tool → model rounds per turn before the model must answer in words. */
  toolMaxDepth: number;
  problems: ConfigProblem[];
}

const cache = new WeakMap<object, ChatConfig>();

function read<T>(
  problems: ConfigProblem[],
  name: keyof ChatVars,
  raw: string | undefined,
  fallback: T,
  shown: string,
  parse: (t: string) => Parsed<T>,
): T {
  return readVar(problems, name, raw, fallback, parse, shown);
}

export function chatConfig(vars: ChatVars): ChatConfig {
  const hit = cache.get(vars);
  if (hit) return hit;
  const problems: ConfigProblem[] = [];
  const config: ChatConfig = {
    sessionTtlMs: read(problems, "CHAT_SESSION_TTL", vars.CHAT_SESSION_TTL, 24 * 3600_000, "24h", (t) =>
      parseDurationMs(t),
    ),
    contextTokenBudget: read(problems, "CHAT_CONTEXT_TOKEN_BUDGET", vars.CHAT_CONTEXT_TOKEN_BUDGET, 4000, "4000", (t) =>
      parsePositiveInt(t, 1_000_000),
    ),
    functionName: read(problems, "CHAT_FUNCTION", vars.CHAT_FUNCTION, "chat", "chat", (t) => ({
      ok: true,
      value: t.trim(),
    })),
    toolMaxDepth: read(problems, "CHAT_TOOL_MAX_DEPTH", vars.CHAT_TOOL_MAX_DEPTH, 4, "4", (t) =>
      parsePositiveInt(t, 16),
    ),
    problems,
  };
  const log = createLogger("chat-config", vars.LOG_LEVEL);
  logProblemsOnce(problems, (message, fields) => log.error(message, fields));
  cache.set(vars, config);
  return config;
}

/** The /health check: fails naming every chat var that is set but unusable. */
export function chatConfigHealthCheck(vars: ChatVars): Promise<void> {
  const { problems } = chatConfig(vars);
  if (problems.length === 0) return Promise.resolve();
  return Promise.reject(new Error(describeProblems(problems)));
}
