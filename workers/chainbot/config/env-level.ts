/**
 * The environment level: `ALEX_OS_CHAINBOT_<PATH>` overrides a key, read as the type of the key's default
 * (a whole number for an integer key, `true`/`false` for a flag, a JSON array or comma list for a list). A
 * var that is set but unusable follows the platform's policy: the lower level stays in force, and the var is
 * listed as a problem (name, value, why) and logged once per isolate — never a 500.
 */
import { type ConfigProblem, logProblemsOnce, type Parsed, parsePositiveInt } from "../../platform/var-parsers";
import {
  CONFIG_KEY_NAMES,
  CONFIG_KEYS,
  checkValue,
  type ConfigKeyName,
  type ConfigValue,
  envNameOf,
  type KeyKind,
} from "./keys";

/** The Worker env seen as name → value; the ChainBot vars are optional and absent from wrangler.toml. */
export type EnvVars = Readonly<Record<string, unknown>>;

export interface EnvLevel {
  values: Map<ConfigKeyName, ConfigValue>;
  problems: ConfigProblem[];
}

const BOOLEANS: Record<string, boolean> = { true: true, false: false, "1": true, "0": false, yes: true, no: false };

function parseInteger(text: string): Parsed<number> {
  const t = text.trim();
  if (/^0+$/.test(t)) return { ok: true, value: 0 };
  // The platform's integer parser, so "1e3", "1.5" and "ten" are refused here exactly as for its own vars.
  return parsePositiveInt(t);
}

function parseList(text: string): Parsed<string[]> {
  const t = text.trim();
  if (t.startsWith("[")) {
    try {
      const v: unknown = JSON.parse(t);
      if (Array.isArray(v) && v.every((x) => typeof x === "string")) return { ok: true, value: v };
    } catch {
      // reported below
    }
    return { ok: false, message: `"${text}" is not a JSON array of strings` };
  }
  return { ok: true, value: t.split(",").map((s) => s.trim()) };
}

function parseAs(kind: KeyKind, text: string): Parsed<ConfigValue> {
  switch (kind) {
    case "string":
      return { ok: true, value: text };
    case "integer":
      return parseInteger(text);
    case "number": {
      const n = /^\s*-?\d+(\.\d+)?\s*$/.test(text) ? Number(text) : Number.NaN;
      return Number.isFinite(n) ? { ok: true, value: n } : { ok: false, message: `"${text}" is not a number` };
    }
    case "boolean": {
      const b = BOOLEANS[text.trim().toLowerCase()];
      return b === undefined ? { ok: false, message: `"${text}" is not true or false` } : { ok: true, value: b };
    }
    case "string_list":
      return parseList(text);
  }
}

function shown(value: ConfigValue): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function readEnvLevel(env: EnvVars): EnvLevel {
  const values = new Map<ConfigKeyName, ConfigValue>();
  const problems: ConfigProblem[] = [];
  for (const name of CONFIG_KEY_NAMES) {
    const varName = envNameOf(name);
    const raw = env[varName];
    if (typeof raw !== "string" || raw.trim() === "") continue;
    const spec = CONFIG_KEYS[name];
    const parsed = parseAs(spec.kind, raw);
    const checked = parsed.ok ? checkValue(name, parsed.value) : parsed;
    if (checked.ok) values.set(name, checked.value);
    else problems.push({ name: varName, value: raw, message: checked.message, fallback: shown(spec.default) });
  }
  return { values, problems };
}

/** Logs each bad var once per isolate through the platform's one path for config problems. */
export function logEnvProblems(problems: readonly ConfigProblem[], log: (m: string, f: object) => void): void {
  logProblemsOnce(problems, (message, fields) => log(message, fields));
}
