/**
 * JSON ↔ CEL values. CEL keeps int and double apart (`3 + 1` is int, `3.0 + 1` is an error), while JSON has
 * one number type: an integral JSON number becomes a CEL int (a bigint), so `${input.count} + 1` works as
 * written. Results go back to JSON with ints as numbers, bounded in size so a result cannot balloon.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The most JSON nodes one result may have once converted back. */
export const MAX_RESULT_NODES = 100_000;

export class ResultTooLarge extends Error {}

/** A JSON value as CEL reads it: integral numbers as bigint, everything else as it is. */
export function toCel(value: unknown): unknown {
  if (typeof value === "number") return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toCel(v);
    return out;
  }
  return value ?? null;
}

function bytesToBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** A CEL result as JSON: bigints as numbers (as strings past 2^53), maps as objects, bytes as base64. */
export function fromCel(value: unknown, budget = { nodes: MAX_RESULT_NODES }): Json {
  if (--budget.nodes < 0) throw new ResultTooLarge("result too large");
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value.toString();
  }
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (value instanceof Uint8Array) return bytesToBase64(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value) || value instanceof Set)
    return [...(value as Iterable<unknown>)].map((v) => fromCel(v, budget));
  if (value instanceof Map) {
    const out: Record<string, Json> = {};
    for (const [k, v] of value as Map<unknown, unknown>) out[String(k)] = fromCel(v, budget);
    return out;
  }
  if (typeof value === "object") {
    // Library value types (uint, duration) print themselves; plain maps have no toString of their own.
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const own = (value as { toString?: () => string }).toString;
      return typeof own === "function" && own !== Object.prototype.toString ? own.call(value) : null;
    }
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fromCel(v, budget);
    return out;
  }
  return null;
}
