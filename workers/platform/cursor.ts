/**
 * The opaque keyset cursor of paged lists (history, dead letters, the inference log): the last row's sort key
 * and id, base64 JSON. A cursor the API did not hand out is a 400 naming `query.cursor`.
 */
import { AppError } from "./errors";

export interface KeysetPosition {
  ts: number;
  id: string;
}

export function encodeCursor(at: KeysetPosition): string {
  return btoa(JSON.stringify([at.ts, at.id])).replaceAll("=", "");
}

export function decodeCursor(cursor: string): KeysetPosition {
  try {
    const [ts, id] = JSON.parse(atob(cursor)) as unknown[];
    if (typeof ts === "number" && typeof id === "string") return { ts, id };
  } catch {
    // fall through to the one error below
  }
  throw new AppError(400, "invalid_input", "query.cursor: not a cursor this API returned");
}
