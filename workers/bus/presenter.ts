/**
 * How events look on the wire (history and one-event reads), and the opaque history cursor.
 */
import type { BusEvent } from "../platform/bus/envelope";
import { AppError } from "../platform/errors";
import { eventTypeOf } from "./subjects";

export function presentEvent(event: BusEvent) {
  return { ...event, event_type: eventTypeOf(event.type) ?? null };
}

export function encodeCursor(at: { ts: number; id: string }): string {
  return btoa(JSON.stringify([at.ts, at.id])).replaceAll("=", "");
}

export function decodeCursor(cursor: string): { ts: number; id: string } {
  try {
    const [ts, id] = JSON.parse(atob(cursor)) as unknown[];
    if (typeof ts === "number" && typeof id === "string") return { ts, id };
  } catch {
    // fall through to the one error below
  }
  throw new AppError(400, "invalid_input", "query.cursor: not a cursor this API returned");
}
