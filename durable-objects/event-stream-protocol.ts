/**
 * The EventStream's wire contract, shared by the object and the Worker that talks to it: what a subscriber
 * filter is and how it matches, how a subscribe request is forwarded (and parsed back, with zod, inside the
 * object), what a live frame looks like, and when a payload is too big to travel in one.
 */
import { z } from "zod";
import { SUBJECT_PATTERN_REGEX, subjectMatches } from "../workers/bus/subjects";
import type { BusEvent } from "../workers/platform/bus/envelope";

/** Payloads larger than this (serialized, in bytes) reach live subscribers as a `payload_ref` instead. */
export const LIVE_PAYLOAD_LIMIT = 64 * 1024;
/** The subprotocol a browser offers beside its `bearer.<token>`; the only one the server ever answers. */
export const STREAM_SUBPROTOCOL = "botplane.v1";
/** Bounds that keep a filter inside a WebSocket attachment (which survives hibernation, but only if small). */
export const MAX_PATTERNS = 10;
export const MAX_PATTERN_LENGTH = 100;

export interface StreamFilter {
  /** Canonical subject patterns (EventTypes already expanded, prefix stripped); empty matches nothing. */
  patterns: string[];
  correlation_id?: string | undefined;
}

export interface SubscribeOptions {
  filter: StreamFilter;
  since?: number | undefined;
  websocket: boolean;
  /** Set when the client offered `botplane.v1`: the 101 must then name it. */
  subprotocol: boolean;
}

/** One `append` outcome: the event's cursor, and whether the stream had it already. */
export interface AppendResult {
  event_id: string;
  seq: number;
  duplicate: boolean;
}

export function matchesFilter(filter: StreamFilter, subject: string, correlationId: string): boolean {
  if (filter.correlation_id !== undefined && filter.correlation_id !== correlationId) return false;
  return filter.patterns.some((p) => subjectMatches(p, subject));
}

function utf8Length(text: string): number {
  // A UTF-16 unit is at most 3 UTF-8 bytes: only measure exactly when the cheap bound is inconclusive.
  if (text.length > LIVE_PAYLOAD_LIMIT || text.length * 3 <= LIVE_PAYLOAD_LIMIT) return text.length;
  return new TextEncoder().encode(text).length;
}

/**
 * The event as live subscribers get it: a payload over LIVE_PAYLOAD_LIMIT is left out and `payload_ref`
 * points at the history route, which returns the whole event. An existing `payload_ref` is kept.
 */
export function liveForm(event: BusEvent): BusEvent {
  // A claim-checked event (the queue's slim form) carries `payload: null` beside its ref: the ref is the payload.
  if (event.payload_ref !== undefined && event.payload === null) return { ...event, payload: undefined };
  if (event.payload === undefined) return event;
  const size = utf8Length(JSON.stringify(event.payload) ?? "");
  if (size <= LIVE_PAYLOAD_LIMIT) return event;
  // `undefined` drops the key from the JSON frame.
  return { ...event, payload: undefined, payload_ref: event.payload_ref ?? `/api/v1/events/${event.event_id}` };
}

const INTERNAL_ORIGIN = "https://event-stream.internal";

/** The request the Worker forwards to the object once auth and input validation have passed. */
export function subscribeRequest(options: SubscribeOptions): Request {
  const url = new URL("/subscribe", INTERNAL_ORIGIN);
  for (const p of options.filter.patterns) url.searchParams.append("pattern", p);
  if (options.filter.correlation_id !== undefined)
    url.searchParams.set("correlation_id", options.filter.correlation_id);
  if (options.since !== undefined) url.searchParams.set("since", String(options.since));
  if (options.subprotocol) url.searchParams.set("subprotocol", STREAM_SUBPROTOCOL);
  const headers: Record<string, string> = options.websocket
    ? { upgrade: "websocket" }
    : { accept: "text/event-stream" };
  return new Request(url, { headers });
}

const patternSchema = z.string().min(1).max(MAX_PATTERN_LENGTH).regex(SUBJECT_PATTERN_REGEX);

const forwardedSchema = z.object({
  pattern: z.array(patternSchema).min(1).max(MAX_PATTERNS),
  correlation_id: z.string().min(1).max(256).optional(),
  since: z.coerce.number().int().min(0).optional(),
  subprotocol: z.literal(STREAM_SUBPROTOCOL).optional(),
});

/** Parses a forwarded subscribe request inside the object (the object trusts nothing it is handed). */
export function parseSubscribe(
  request: Request,
): { ok: true; options: SubscribeOptions } | { ok: false; message: string } {
  const url = new URL(request.url);
  const parsed = forwardedSchema.safeParse({
    pattern: url.searchParams.getAll("pattern"),
    correlation_id: url.searchParams.get("correlation_id") ?? undefined,
    since: url.searchParams.get("since") ?? undefined,
    subprotocol: url.searchParams.get("subprotocol") ?? undefined,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, message: `${issue?.path.join(".") ?? "?"}: ${issue?.message ?? "invalid"}` };
  }
  const { pattern, correlation_id, since, subprotocol } = parsed.data;
  return {
    ok: true,
    options: {
      filter: { patterns: pattern, correlation_id },
      since,
      websocket: request.headers.get("upgrade")?.toLowerCase() === "websocket",
      subprotocol: subprotocol !== undefined,
    },
  };
}

/** What a WebSocket subscriber may send: keep-alive pings (`{"type":"ping"}` exactly is answered without waking the object). */
export const clientMessageSchema = z.object({ type: z.literal("ping") });

export const PING = JSON.stringify({ type: "ping" });
export const PONG = JSON.stringify({ type: "pong" });

export function errorFrame(code: string, message: string, details?: unknown): string {
  return JSON.stringify({
    type: "error",
    error: details === undefined ? { code, message } : { code, message, details },
  });
}

/** The live frame both transports carry: `{"seq":n,"event":{...}}`, built once per event and logged as is. */
export function eventFrame(seq: number, event: BusEvent): string {
  return `{"seq":${seq},"event":${JSON.stringify(event)}}`;
}

/** One SSE message: `id` is the resume cursor a browser sends back as Last-Event-ID. */
export function sseMessage(seq: number, subject: string, frame: string): string {
  return `id: ${seq}\nevent: ${subject}\ndata: ${frame}\n\n`;
}
