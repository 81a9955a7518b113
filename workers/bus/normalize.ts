/**
 * Turns what publishers send into the canonical envelope: the seed's Event in JSON (type as an EventType or a
 * dotted subject), the BalatroMCP form (millisecond timestamp, extra keys), or a decoded protobuf Event.
 * Timestamps come out as ISO-8601 UTC with milliseconds; unknown top-level keys (and an `extensions` object)
 * are kept in `extensions`. A payload that does not match its subject's declared type is rejected naming the
 * field; metadata, extensions and the envelope over their limits (event-limits.ts) as `payload_too_large`.
 */
import { z } from "zod";
import type { BusEvent } from "../platform/bus/envelope";
import { SUBJECT_PATTERN } from "../platform/bus/envelope";
import { envelopeBreach, extensionsBreach, metadataBreach } from "./event-limits";
import { payloadSchemaFor } from "./payload-schemas";
import { canonicalSubject } from "./subjects";

/**
 * The instants botplane accepts: 1970-01-01T00:00:00.000Z through 9999-12-31T23:59:59.999Z. Past the end of
 * the Date range (±8.64e15 ms) `toISOString` throws, and an ISO-8601 year needs more than four digits past
 * 9999; nothing a publisher or a filter means lies outside this.
 */
export const MIN_INSTANT_MS = 0;
export const MAX_INSTANT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const INSTANT_MESSAGE = "must be epoch milliseconds, epoch seconds or an ISO-8601 time between 1970 and 9999";

/** ms since the epoch, seconds since the epoch (10 digits), or an ISO-8601 string → epoch ms; null if not one. */
export function parseInstant(value: string | number): number | null {
  let ms: number;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return null;
    ms = Math.abs(value) < 1e11 ? Math.round(value * 1000) : Math.round(value);
  } else if (/^\d+(\.\d+)?$/.test(value)) {
    return parseInstant(Number(value));
  } else {
    ms = Date.parse(value);
  }
  return Number.isNaN(ms) || ms < MIN_INSTANT_MS || ms > MAX_INSTANT_MS ? null : ms;
}

/** A time as epoch ms, epoch seconds or ISO-8601 (number or string, so query parameters fit too) → epoch ms. */
export const InstantSchema = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = parseInstant(v);
  if (ms === null) {
    ctx.addIssue({ code: "custom", message: INSTANT_MESSAGE });
    return z.NEVER;
  }
  return ms;
});

export const InputEventSchema = z.looseObject({
  event_id: z.uuid().optional(),
  correlation_id: z.string().min(1).max(256).optional(),
  type: z.string().min(1).max(256),
  source: z.string().min(1).max(256),
  timestamp: InstantSchema.optional(),
  version: z.number().int().min(1).max(1_000_000).default(1),
  // Sizes (key count, key and value lengths, the total) are checked after parsing, as 413s: event-limits.ts.
  metadata: z.record(z.string(), z.string()).default({}),
  payload: z.unknown(),
});

export type InputEvent = z.input<typeof InputEventSchema>;

const KNOWN = new Set([
  "event_id",
  "correlation_id",
  "type",
  "source",
  "timestamp",
  "version",
  "metadata",
  "payload",
  "payload_ref",
  "extensions",
]);

export interface Rejection {
  code: string;
  /** `<field>: <reason>` */
  message: string;
  field: string;
  reason: string;
  /** For `forbidden`: the scope that would allow it. */
  required?: string;
}

export type Normalized = { ok: true; event: BusEvent } | { ok: false; rejection: Rejection };

export interface NormalizeOptions {
  prefix: string | undefined;
  traceparent: string;
  now: number;
  /** Field path prefix for messages, e.g. `body.events.3`. */
  at: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function reject(at: string, path: readonly PropertyKey[], message: string, code = "invalid_event"): Normalized {
  const field = [at, ...path.map(String)].join(".");
  return { ok: false, rejection: { code, message: `${field}: ${message}`, field, reason: message } };
}

export function normalizeEvent(raw: unknown, opts: NormalizeOptions): Normalized {
  const parsed = InputEventSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return reject(opts.at, issue?.path ?? [], issue?.message ?? "invalid event");
  }
  const input = parsed.data;
  const tooLarge = metadataBreach(input.metadata);
  if (tooLarge) return reject(opts.at, tooLarge.path, tooLarge.reason, "payload_too_large");
  const subject = canonicalSubject(input.type, input.source, opts.prefix);
  if (!SUBJECT_PATTERN.test(subject)) return reject(opts.at, ["type"], "must be an EventType or a dotted subject");
  const schema = payloadSchemaFor(subject, input.payload);
  if (schema) {
    const checked = schema.safeParse(input.payload);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      return reject(
        opts.at,
        ["payload", ...(issue?.path ?? [])],
        issue?.message ?? "does not match its type",
        "invalid_payload",
      );
    }
  }
  // Extensions: an `extensions` object (an event read back from history), then unknown top-level keys.
  const extensions: Record<string, unknown> = {};
  const sentAt = new Map<string, PropertyKey[]>();
  if (isPlainObject(input.extensions))
    for (const [k, v] of Object.entries(input.extensions)) {
      extensions[k] = v;
      sentAt.set(k, ["extensions", k]);
    }
  for (const [k, v] of Object.entries(input))
    if (!KNOWN.has(k)) {
      extensions[k] = v;
      sentAt.set(k, [k]);
    }
  const extensionsTooLarge = extensionsBreach(extensions, (k) => sentAt.get(k) ?? ["extensions", k]);
  if (extensionsTooLarge)
    return reject(opts.at, extensionsTooLarge.path, extensionsTooLarge.reason, "payload_too_large");
  const eventId = input.event_id ?? crypto.randomUUID();
  const metadata = { ...input.metadata };
  metadata.traceparent ??= opts.traceparent;
  const event: BusEvent = {
    event_id: eventId,
    correlation_id: input.correlation_id ?? eventId,
    type: subject,
    source: input.source,
    timestamp: new Date(input.timestamp ?? opts.now).toISOString(),
    version: input.version,
    metadata,
    payload: input.payload ?? null,
    ...(Object.keys(extensions).length ? { extensions } : {}),
  };
  const envelopeTooLarge = envelopeBreach(event);
  if (envelopeTooLarge) return reject(opts.at, envelopeTooLarge.path, envelopeTooLarge.reason, "payload_too_large");
  return { ok: true, event };
}
