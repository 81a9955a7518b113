/**
 * `loadChainbotConfig(env)`: every key's effective value and the level it came from, resolved in the
 * seed's order — bundled default → `ALEX_OS_CHAINBOT_*` env var → uploaded files in name order → runtime
 * override. The D1 levels are cached per isolate for a few seconds (another isolate's change shows within
 * CACHE_TTL_MS; this isolate's own changes at once, through `invalidateChainbotConfig`). Stored values are
 * checked again on load, so a row an older build wrote cannot put a wrong type in force: it is skipped and
 * listed in `problems`. Loading never throws: with D1 unreachable, the last levels seen (or none) serve.
 */
import type { Env } from "../../platform/env";
import { createLogger } from "../../platform/logger";
import type { ConfigProblem } from "../../platform/var-parsers";
import { type EnvVars, logEnvProblems, readEnvLevel } from "./env-level";
import {
  type ChainbotValues,
  CONFIG_KEY_NAMES,
  CONFIG_KEYS,
  checkValue,
  type ConfigKeyName,
  type ConfigValue,
  isConfigKey,
} from "./keys";
import { readStoredLevels, type StoredLevels } from "./store";

export type ConfigSource = "default" | "env" | `file:${string}` | "runtime";

export interface EffectiveEntry {
  value: ConfigValue;
  source: ConfigSource;
}

export interface EffectiveConfig {
  /** The values in force, typed per key: what the engine reads. */
  values: ChainbotValues;
  /** Each key's value and the level it came from. */
  entries: Record<ConfigKeyName, EffectiveEntry>;
  files: { name: string; format: string; keys: string[]; updatedAt: number; updatedBy: string }[];
  /** Env vars and stored values that are set but unusable; the level below is in force for each. */
  problems: ConfigProblem[];
  /** Set when D1 could not be read: the stored levels shown are the last ones this isolate saw. */
  storedError?: string;
}

export const CACHE_TTL_MS = 5_000;

let cached: { at: number; levels: StoredLevels } | undefined;

/** Forget the cached D1 levels: called after every write, so this isolate sees its own change at once. */
export function invalidateChainbotConfig(): void {
  cached = undefined;
}

async function storedLevels(env: Env): Promise<{ levels: StoredLevels; error?: string }> {
  if (cached && Date.now() - cached.at < CACHE_TTL_MS) return { levels: cached.levels };
  try {
    const levels = await readStoredLevels(env.DB);
    cached = { at: Date.now(), levels };
    return { levels };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    createLogger("chainbot.config", env.LOG_LEVEL).warn("reading stored chainbot config failed", { error });
    return { levels: cached?.levels ?? { files: [], runtime: new Map() }, error };
  }
}

function apply(
  entries: Record<ConfigKeyName, EffectiveEntry>,
  problems: ConfigProblem[],
  source: ConfigSource,
  values: Iterable<[string, unknown]>,
): void {
  for (const [name, raw] of values) {
    if (!isConfigKey(name)) {
      problems.push({ name: `${source}:${name}`, value: JSON.stringify(raw), message: "unknown key", fallback: "-" });
      continue;
    }
    const checked = checkValue(name, raw);
    if (checked.ok) entries[name] = { value: checked.value, source };
    else
      problems.push({
        name: `${source}:${name}`,
        value: JSON.stringify(raw),
        message: checked.message,
        fallback: JSON.stringify(entries[name].value),
      });
  }
}

export async function loadChainbotConfig(env: Env): Promise<EffectiveConfig> {
  const entries = Object.fromEntries(
    CONFIG_KEY_NAMES.map((name) => [name, { value: CONFIG_KEYS[name].default, source: "default" }]),
  ) as Record<ConfigKeyName, EffectiveEntry>;

  const envLevel = readEnvLevel(env as unknown as EnvVars);
  const log = createLogger("chainbot.config", env.LOG_LEVEL);
  logEnvProblems(envLevel.problems, (message, fields) => log.error(message, { ...fields }));
  for (const [name, value] of envLevel.values) entries[name] = { value, source: "env" };

  const problems: ConfigProblem[] = [...envLevel.problems];
  const { levels, error } = await storedLevels(env);
  for (const file of levels.files) apply(entries, problems, `file:${file.name}`, Object.entries(file.values));
  apply(
    entries,
    problems,
    "runtime",
    [...levels.runtime].map(([k, v]) => [k, v.value]),
  );

  const values = Object.fromEntries(CONFIG_KEY_NAMES.map((n) => [n, entries[n].value])) as ChainbotValues;
  const files = levels.files.map((f) => ({
    name: f.name,
    format: f.format,
    keys: Object.keys(f.values),
    updatedAt: f.updatedAt,
    updatedBy: f.updatedBy,
  }));
  return error === undefined
    ? { values, entries, files, problems }
    : { values, entries, files, problems, storedError: error };
}
