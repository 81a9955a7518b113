/**
 * The size limits of a published event, in one place, and the checks that enforce them. The queue refuses
 * a message over 128 KB, so everything but the payload is bounded well below it: the envelope without its
 * payload stays ≤ 64 KB and the payload rides inline only up to INLINE_PAYLOAD_LIMIT (4 KB), larger ones go
 * through the R2 claim check (up to 10 MB). Each check names the part of the event that is too large, as a
 * path relative to the event (`metadata`, `extensions.<key>`, `payload`).
 */
import { MAX_JSON_DEPTH, pathTooDeep } from "../platform/json-depth";
import type { BusEvent } from "../platform/bus/envelope";
import { byteLength } from "../platform/bus/claim-check";

export const MAX_BATCH_EVENTS = 100;
/** One whole event as sent (payload included), serialized. */
export const MAX_EVENT_BYTES = 10 * 1024 * 1024;
/** A request body (a batch of events). */
export const MAX_BODY_BYTES = 12 * 1024 * 1024;
export const MAX_METADATA_KEYS = 64;
export const MAX_METADATA_KEY_CHARS = 256;
/** One metadata value, UTF-8. */
export const MAX_METADATA_VALUE_BYTES = 8 * 1024;
/** All of metadata, serialized as JSON. */
export const MAX_METADATA_BYTES = 16 * 1024;
/** All extensions (unknown top-level keys and an `extensions` object), serialized as JSON. */
export const MAX_EXTENSIONS_BYTES = 32 * 1024;
/** The canonical envelope without its payload, serialized: what the queue message carries besides it. */
export const MAX_ENVELOPE_BYTES = 64 * 1024;

export interface LimitBreach {
  /** Path within the event, e.g. `["metadata"]` or `["extensions", "blob"]`. */
  path: PropertyKey[];
  reason: string;
}

function jsonBytes(value: unknown): number {
  return byteLength(JSON.stringify(value) ?? "");
}

/**
 * A member of the raw event nested deeper than MAX_JSON_DEPTH, checked before anything serializes it
 * (JSON.stringify and RPC recurse and would overflow the stack).
 */
export function depthBreach(raw: unknown): LimitBreach | null {
  // The event object is level 1, so its members may nest MAX_JSON_DEPTH levels below it.
  const path = pathTooDeep(raw, MAX_JSON_DEPTH + 1);
  if (path === null) return null;
  return { path: path.slice(0, 1), reason: `nests deeper than ${MAX_JSON_DEPTH} levels` };
}

/** The whole event as sent, against MAX_EVENT_BYTES. */
export function eventSizeBreach(raw: unknown): LimitBreach | null {
  const size = jsonBytes(raw);
  return size > MAX_EVENT_BYTES
    ? { path: [], reason: `event is ${size} bytes; the limit is ${MAX_EVENT_BYTES}` }
    : null;
}

export function metadataBreach(metadata: Record<string, string>): LimitBreach | null {
  const keys = Object.keys(metadata);
  if (keys.length > MAX_METADATA_KEYS)
    return { path: ["metadata"], reason: `${keys.length} keys; the limit is ${MAX_METADATA_KEYS}` };
  for (const key of keys) {
    if (key.length > MAX_METADATA_KEY_CHARS)
      return {
        path: ["metadata"],
        reason: `a key is ${key.length} characters; the limit is ${MAX_METADATA_KEY_CHARS}`,
      };
    const size = byteLength(metadata[key] ?? "");
    if (size > MAX_METADATA_VALUE_BYTES)
      return { path: ["metadata", key], reason: `${size} bytes; the limit is ${MAX_METADATA_VALUE_BYTES}` };
  }
  const total = jsonBytes(metadata);
  return total > MAX_METADATA_BYTES
    ? { path: ["metadata"], reason: `${total} bytes serialized; the limit is ${MAX_METADATA_BYTES}` }
    : null;
}

/**
 * Extensions against MAX_EXTENSIONS_BYTES in all. `where` maps each key to where the publisher put it
 * (`extensions.<key>` or a top-level key); the largest member is named, as the one to shrink.
 */
export function extensionsBreach(
  extensions: Record<string, unknown>,
  where: (key: string) => PropertyKey[],
): LimitBreach | null {
  let total = 2;
  let largest: { key: string; size: number } | undefined;
  for (const [key, value] of Object.entries(extensions)) {
    const size = jsonBytes(key) + 1 + jsonBytes(value) + 1;
    total += size;
    if (!largest || size > largest.size) largest = { key, size };
  }
  if (total <= MAX_EXTENSIONS_BYTES || !largest) return null;
  return {
    path: where(largest.key),
    reason: `extensions are ${total} bytes serialized (this key ${largest.size}); the limit is ${MAX_EXTENSIONS_BYTES}`,
  };
}

/** The canonical envelope without its payload, against MAX_ENVELOPE_BYTES (a backstop over the parts). */
export function envelopeBreach(event: BusEvent): LimitBreach | null {
  const size = jsonBytes({ ...event, payload: null });
  return size > MAX_ENVELOPE_BYTES
    ? { path: [], reason: `the event without its payload is ${size} bytes; the limit is ${MAX_ENVELOPE_BYTES}` }
    : null;
}
