/**
 * Durations in vars, as the seed writes them (`RESOURCE_REQUEST_TIMEOUT=5s`): `500ms`, `5s`, `1m`, `1h`, or
 * a plain number of milliseconds.
 */
import { z } from "zod";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;

/** A zod schema turning a duration string into whole milliseconds; absent or blank gives `fallbackMs`. */
export function durationMs(fallbackMs: number) {
  return z
    .string()
    .optional()
    .transform((v, ctx) => {
      const text = v?.trim() ?? "";
      if (text === "") return fallbackMs;
      const m = DURATION.exec(text);
      if (!m?.[1]) {
        ctx.addIssue({
          code: "custom",
          message: `'${text}' is not a duration (use e.g. 500ms, 5s, 1m, or milliseconds)`,
        });
        return z.NEVER;
      }
      return Math.round(Number(m[1]) * (UNIT_MS[m[2] ?? "ms"] ?? 1));
    });
}

/** Parses one duration, throwing a message that names the input when it is not one. */
export function parseDuration(text: string | undefined, fallbackMs: number): number {
  const parsed = durationMs(fallbackMs).safeParse(text);
  if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? `invalid duration '${String(text)}'`);
  return parsed.data;
}
