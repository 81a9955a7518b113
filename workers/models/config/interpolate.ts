/**
 * `${env.NAME}` interpolation over every string in a parsed TOML tree, from the Worker's vars and secrets.
 * An unset or empty variable is not an error here: each miss is reported with the key path it occurred at,
 * so resolution can disable the provider that needs it (a missing key is "unconfigured", not "invalid").
 */

/** The Worker env seen as plain name → value; only string values count as set. */
export type EnvVars = Readonly<Record<string, unknown>>;

export interface Miss {
  /** Key path of the string that referenced the variable, e.g. ["providers", "cloudflare", "api_key"]. */
  path: string[];
  name: string;
}

const REFERENCE = /\$\{env\.([A-Za-z_][A-Za-z0-9_]*)\}/g;

export function envValue(env: EnvVars, name: string): string | undefined {
  const v = env[name];
  return typeof v === "string" && v.trim() !== "" ? v : undefined;
}

function interpolateString(value: string, env: EnvVars, path: string[], misses: Miss[]): string {
  return value.replace(REFERENCE, (_match, name: string) => {
    const v = envValue(env, name);
    if (v === undefined) {
      misses.push({ path, name });
      return "";
    }
    return v;
  });
}

/** Returns a copy of `value` with every reference replaced (by "" when unset) and the misses. */
export function interpolate(value: unknown, env: EnvVars): { value: unknown; misses: Miss[] } {
  const misses: Miss[] = [];
  const walk = (v: unknown, path: string[]): unknown => {
    if (typeof v === "string") return interpolateString(v, env, path, misses);
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, String(i)]));
    if (v !== null && typeof v === "object" && !(v instanceof Date)) {
      const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (const [k, item] of Object.entries(v)) out[k] = walk(item, [...path, k]);
      return out;
    }
    return v;
  };
  return { value: walk(value, []), misses };
}

/** The variable names a TOML text references, for cache keys (a config's meaning changes when they do). */
export function referencedNames(text: string): string[] {
  return [...new Set([...text.matchAll(REFERENCE)].map((m) => m[1] ?? ""))].filter(Boolean).sort();
}
