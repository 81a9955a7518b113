/**
 * What a bus handler is: a named function run for every event of the subjects it is registered under, and
 * the two errors it throws to say "never" (PermanentError) or "not yet" (NotReadyError). Its name keys the
 * ledger, and `key` (event_id + name) is the idempotency key an effect records atomically with itself.
 */
import type { Env } from "../env";
import type { Logger } from "../logger";
import type { BusEvent } from "./envelope";
import { applyOnce } from "./ledger";
import { subjectMatches } from "./subjects";

export interface HandlerContext {
  /** `<event_id>:<handler>`: pass it to a Durable Object, which records it in the same transaction as the effect. */
  key: string;
  /** Runs D1 statements as this event's effect exactly once: in one batch with the ledger row; false if applied before. */
  once(statements: D1PreparedStatement[]): Promise<boolean>;
}

export interface BusHandler {
  /** Stable name: the ledger records effects under it. */
  name: string;
  run: (event: BusEvent, env: Env, log: Logger, ctx: HandlerContext) => Promise<void>;
}

/** Keyed by subject, or by a NATS pattern (`metrics.*`, `metrics.>`) for a handler of a whole subject space. */
export type HandlerTable = Readonly<Record<string, readonly BusHandler[]>>;

/** Joins handler tables; handlers of one subject key from several tables all run (a spread would keep the last). */
export function mergeHandlerTables(...tables: HandlerTable[]): HandlerTable {
  const out: Record<string, BusHandler[]> = {};
  for (const table of tables) for (const [key, handlers] of Object.entries(table)) (out[key] ??= []).push(...handlers);
  return out;
}

/** The handlers for one subject: those keyed by it exactly, then those whose pattern matches it. */
export function handlersFor(table: HandlerTable, subject: string): readonly BusHandler[] {
  const exact = table[subject] ?? [];
  const matched = Object.entries(table)
    .filter(([key]) => key !== subject && /(^|\.)[*>](\.|$)/.test(key) && subjectMatches(key, subject))
    .flatMap(([, handlers]) => handlers);
  return matched.length ? [...exact, ...matched] : exact;
}

/** Thrown by a handler when retrying cannot help (e.g. a payload that fails validation). */
export class PermanentError extends Error {
  override name = "PermanentError";
}

/**
 * Thrown by a healthy handler when the event cannot be applied yet (what it refers to has not arrived —
 * queues do not keep order): the message is retried, but the handler's breaker counts it as an answer, not
 * an outage.
 */
export class NotReadyError extends Error {
  override name = "NotReadyError";
}

export function handlerKey(eventId: string, handler: string): string {
  return `${eventId}:${handler}`;
}

export function handlerContext(env: Pick<Env, "DB">, eventId: string, handler: string): HandlerContext {
  return { key: handlerKey(eventId, handler), once: (statements) => applyOnce(env, eventId, handler, statements) };
}
