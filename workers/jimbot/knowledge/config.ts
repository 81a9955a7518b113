/**
 * The knowledge graph's vars — the seed's performance block (`query_timeout` 50 ms, `mutation_timeout`
 * 200 ms, `max_concurrent_queries` 100) and the optional external Memgraph/Neo4j endpoint — read with the
 * platform's policy: absent or blank → the seed's value; set but invalid → the seed's value, logged once.
 */
import { createLogger } from "../../platform/logger";
import {
  type ConfigProblem,
  logProblemsOnce,
  type Parsed,
  parseDurationMs,
  parsePositiveInt,
  readVar,
} from "../../platform/var-parsers";

export interface KnowledgeVars {
  KNOWLEDGE_QUERY_TIMEOUT?: string | undefined;
  KNOWLEDGE_MUTATION_TIMEOUT?: string | undefined;
  KNOWLEDGE_MAX_CONCURRENT_QUERIES?: string | undefined;
  MEMGRAPH_URL?: string | undefined;
  LOG_LEVEL?: string | undefined;
}

export interface KnowledgeConfig {
  queryTimeoutMs: number;
  mutationTimeoutMs: number;
  maxConcurrentQueries: number;
  /** Neo4j-style HTTP transaction endpoint of an external Memgraph/Neo4j that mirrors updates; null = none. */
  memgraphUrl: string | null;
}

const cache = new WeakMap<object, KnowledgeConfig>();

function read<T>(
  problems: ConfigProblem[],
  name: keyof KnowledgeVars,
  raw: string | undefined,
  fallback: T,
  shown: string,
  parse: (t: string) => Parsed<T>,
): T {
  return readVar(problems, name, raw, fallback, parse, shown);
}

function parseUrl(text: string): Parsed<string> {
  return URL.canParse(text) && /^https?:/.test(text)
    ? { ok: true, value: text }
    : { ok: false, message: `"${text}" is not an http(s) URL` };
}

export function knowledgeConfig(vars: KnowledgeVars): KnowledgeConfig {
  const hit = cache.get(vars);
  if (hit) return hit;
  const problems: ConfigProblem[] = [];
  const config: KnowledgeConfig = {
    queryTimeoutMs: read(problems, "KNOWLEDGE_QUERY_TIMEOUT", vars.KNOWLEDGE_QUERY_TIMEOUT, 50, "50ms", (t) =>
      parseDurationMs(t),
    ),
    mutationTimeoutMs: read(
      problems,
      "KNOWLEDGE_MUTATION_TIMEOUT",
      vars.KNOWLEDGE_MUTATION_TIMEOUT,
      200,
      "200ms",
      (t) => parseDurationMs(t),
    ),
    maxConcurrentQueries: read(
      problems,
      "KNOWLEDGE_MAX_CONCURRENT_QUERIES",
      vars.KNOWLEDGE_MAX_CONCURRENT_QUERIES,
      100,
      "100",
      (t) => parsePositiveInt(t, 100_000),
    ),
    memgraphUrl: read(problems, "MEMGRAPH_URL", vars.MEMGRAPH_URL, null, "(none)", parseUrl),
  };
  const log = createLogger("knowledge", vars.LOG_LEVEL);
  logProblemsOnce(problems, (message, fields) => log.warn(message, fields));
  cache.set(vars, config);
  return config;
}
