/**
 * A bus partition's subscriber contract, shared by the partition (EventStream) and the Worker route that
 * merges partitions for a client: what a subscriber filter is and how it matches, the internal subscribe
 * request (parsed back with zod inside the object), and what a live frame looks like.
 */
import { z } from "zod";
import { SUBJECT_PATTERN_REGEX, subjectMatches } from "../workers/platform/bus/subjects";

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
  /** Replay everything after this seq of the partition first, then go live. */
  since?: number | undefined;
}

export function matchesFilter(filter: StreamFilter, subject: string, correlationId: string): boolean {
  if (filter.correlation_id !== undefined && filter.correlation_id !== correlationId) return false;
  return filter.patterns.some((p) => subjectMatches(p, subject));
}

const INTERNAL_ORIGIN = "https://event-stream.internal";

/** The WebSocket upgrade the Worker sends a partition once auth and input validation have passed. */
export function subscribeRequest(options: SubscribeOptions): Request {
  const url = new URL("/subscribe", INTERNAL_ORIGIN);
  for (const p of options.filter.patterns) url.searchParams.append("pattern", p);
  if (options.filter.correlation_id !== undefined) {
    url.searchParams.set("correlation_id", options.filter.correlation_id);
  }
  if (options.since !== undefined) url.searchParams.set("since", String(options.since));
  return new Request(url, { headers: { upgrade: "websocket" } });
}

const patternSchema = z.string().min(1).max(MAX_PATTERN_LENGTH).regex(SUBJECT_PATTERN_REGEX);

const forwardedSchema = z.object({
  pattern: z.array(patternSchema).min(1).max(MAX_PATTERNS),
  correlation_id: z.string().min(1).max(256).optional(),
  since: z.coerce.number().int().min(0).optional(),
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
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, message: `${issue?.path.join(".") ?? "?"}: ${issue?.message ?? "invalid"}` };
  }
  const { pattern, correlation_id, since } = parsed.data;
  return { ok: true, options: { filter: { patterns: pattern, correlation_id }, since } };
}

/** What a subscriber may send: keep-alive pings (`{"type":"ping"}` exactly is answered without waking the object). */
export const clientMessageSchema = z.object({ type: z.literal("ping") });

export const PING = JSON.stringify({ type: "ping" });
export const PONG = JSON.stringify({ type: "pong" });

export function errorFrame(code: string, message: string, details?: unknown): string {
  return JSON.stringify({
    type: "error",
    error: details === undefined ? { code, message } : { code, message, details },
  });
}

/** The live frame a partition sends its subscribers: `{"seq":n,"event":{...}}`, from the logged event JSON. */
export function eventFrame(seq: number, eventJson: string): string {
  return `{"seq":${seq},"event":${eventJson}}`;
}

/**
 * Sent once a subscriber is live (after its replay, if any): every matching event up to `seq` has been sent,
 * every later one will be. The Worker uses it to put this partition in the subscriber's resume cursor.
 */
export function positionFrame(seq: number): string {
  return `{"type":"position","seq":${seq}}`;
}
