/**
 * The live stream's resume cursor: a position per partition, `0:12,3:44` (partition:seq). A plain number is
 * the same position in every partition (`0` replays everything retained). Every frame a subscriber gets
 * carries the cursor as of that frame, so resuming from it repeats nothing and misses nothing, however the
 * partitions' events interleaved.
 */
import { z } from "@hono/zod-openapi";

export type Cursor = ReadonlyMap<number, number> | number;

const ENTRY = /^(\d{1,2}):(\d{1,15})$/;

/** Parses `12` or `0:12,3:44`; null when it is neither. */
export function parseCursor(text: string): Cursor | null {
  const trimmed = text.trim();
  if (/^\d{1,15}$/.test(trimmed)) return Number(trimmed);
  const out = new Map<number, number>();
  for (const part of trimmed.split(",")) {
    const m = ENTRY.exec(part.trim());
    if (!m?.[1] || !m[2]) return null;
    out.set(Number(m[1]), Number(m[2]));
  }
  return out.size > 0 ? out : null;
}

export function formatCursor(positions: ReadonlyMap<number, number>): string {
  return [...positions]
    .sort(([a], [b]) => a - b)
    .map(([p, seq]) => `${p}:${seq}`)
    .join(",");
}

/** Where a partition resumes: its own entry, the plain number, or (absent from a partition cursor) live only. */
export function sinceFor(cursor: Cursor | undefined, partition: number): number | undefined {
  if (cursor === undefined) return undefined;
  return typeof cursor === "number" ? cursor : cursor.get(partition);
}

export const CursorSchema = z
  .string()
  .max(2000)
  .transform((v, ctx) => {
    const parsed = parseCursor(v);
    if (parsed === null) {
      ctx.addIssue({ code: "custom", message: "must be a seq or a cursor this stream sent (`0:12,3:44`)" });
      return z.NEVER;
    }
    return parsed;
  });
