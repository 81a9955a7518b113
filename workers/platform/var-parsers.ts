/**
 * The one parser for each kind of value a var holds: durations with a unit and positive integers. Each
 * answers a value or a message saying what was wrong, never throws; config.ts decides what a bad var costs.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/;
export const DURATION_HINT = "needs a unit, e.g. 500ms, 30s, 5m";

/**
 * `500ms`, `30s`, `1.5m`, `1h` → whole milliseconds. A bare number is refused rather than guessed at: `30`
 * could mean seconds (seed style) or milliseconds. Zero is accepted only with `allowZero`.
 */
export function parseDurationMs(text: string, options: { allowZero?: boolean } = {}): Parsed<number> {
  const m = DURATION.exec(text);
  if (!m?.[1]) return { ok: false, message: `"${text}" is not a duration (${DURATION_HINT})` };
  if (!m[2]) return { ok: false, message: `"${text}" ${DURATION_HINT}` };
  const ms = Math.round(Number(m[1]) * (UNIT_MS[m[2]] ?? Number.NaN));
  if (!Number.isSafeInteger(ms)) return { ok: false, message: `"${text}" is out of range` };
  if (ms === 0 && !options.allowZero) return { ok: false, message: `"${text}" must be longer than 0` };
  return { ok: true, value: ms };
}

/** A whole number from 1 to `max` (default: the largest safe integer). */
export function parsePositiveInt(text: string, max = Number.MAX_SAFE_INTEGER): Parsed<number> {
  const trimmed = text.trim();
  const n = /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) return { ok: false, message: `"${text}" is not a positive integer` };
  if (n > max) return { ok: false, message: `"${text}" is more than the maximum of ${max}` };
  return { ok: true, value: n };
}

/** A var that could not be used: its name and value, why, and the documented default in force instead. */
export interface ConfigProblem {
  name: string;
  value: string;
  message: string;
  fallback: string;
}

/**
 * The one way a var is read: unset or blank → the default; set and parsed → its value; set but unusable → the
 * default, with a problem (name, value, why, the default shown as documented) for the log and /health.
 */
export function readVar<T>(
  problems: ConfigProblem[],
  name: string,
  raw: string | undefined,
  fallback: T,
  parse: (text: string) => Parsed<T>,
  shown: string = String(fallback),
): T {
  if (raw === undefined || raw.trim() === "") return fallback;
  const parsed = parse(raw);
  if (parsed.ok) return parsed.value;
  problems.push({ name, value: raw, message: parsed.message, fallback: shown });
  return fallback;
}

const logged = new Set<string>();

/** Logs each distinct problem once per isolate, however often the config is read. */
export function logProblemsOnce(
  problems: readonly ConfigProblem[],
  log: (message: string, fields: Record<string, unknown>) => void,
): void {
  for (const p of problems) {
    const key = `${p.name}\u0000${p.value}`;
    if (logged.has(key)) continue;
    logged.add(key);
    // `message` is the log line's own field, so the reason travels as `problem`.
    log("invalid config var; its default is in force", {
      name: p.name,
      value: p.value,
      problem: p.message,
      fallback: p.fallback,
    });
  }
}
