/**
 * The bus queue consumer. Each message is validated, dispatched by subject to the handlers registered for
 * it, and acked or retried on its own: one bad message never holds back or replays its batch-mates. A
 * message that can never succeed (malformed, or a handler's PermanentError) is stored as a dead letter at
 * once; one that keeps failing reaches the dead-letter queue after max_retries, whose consumer stores it.
 */
import { createDb } from "../db/client";
import { deadLetters } from "../db/schema";
import type { Env } from "../env";
import { flushNow } from "../metrics/recorder";
import { createLogger, type Logger } from "../logger";
import { startSpan } from "../trace";
import { busEventSchema, SUBJECT_PATTERN, type BusEvent } from "./envelope";

export const BUS_QUEUE = "botplane-bus";
export const DEAD_LETTER_QUEUE = "botplane-bus-dlq";
const MAX_RETRY_DELAY_S = 300;

export type BusHandler = (event: BusEvent, env: Env, log: Logger) => Promise<void>;
export type HandlerTable = Readonly<Record<string, readonly BusHandler[]>>;

/** Thrown by a handler when retrying cannot help (e.g. a payload that fails validation). */
export class PermanentError extends Error {
  override name = "PermanentError";
}

interface DeadLetter {
  body: unknown;
  queue: string;
  error: string;
  attempts: number;
}

async function storeDeadLetters(env: Env, letters: readonly DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  const db = createDb(env.DB);
  const rows = letters.map((l) => {
    const parsed = busEventSchema.safeParse(l.body);
    return {
      id: crypto.randomUUID(),
      eventId: parsed.success ? parsed.data.event_id : null,
      subject: parsed.success ? parsed.data.type : null,
      queue: l.queue,
      body: JSON.stringify(l.body) ?? "null",
      error: l.error,
      attempts: l.attempts,
    };
  });
  // 8 columns a row: chunks of 10 stay under D1's 100 bound parameters per statement.
  const inserts = [];
  for (let i = 0; i < rows.length; i += 10) inserts.push(db.insert(deadLetters).values(rows.slice(i, i + 10)));
  const [first, ...rest] = inserts;
  if (first) await db.batch([first, ...rest]);
}

function backoffSeconds(attempts: number): number {
  const base = Math.min(MAX_RETRY_DELAY_S, 2 ** attempts);
  return Math.ceil(base / 2 + Math.random() * (base / 2));
}

function subjectOf(body: unknown): string | undefined {
  const type = body !== null && typeof body === "object" ? (body as { type?: unknown }).type : undefined;
  return typeof type === "string" ? type : undefined;
}

async function deliver(message: Message<unknown>, env: Env, handlers: HandlerTable): Promise<DeadLetter | null> {
  const subject = subjectOf(message.body);
  // Most subjects have no internal handler (they are for subscribers); those need no parse to be acked.
  if (subject !== undefined && SUBJECT_PATTERN.test(subject) && !handlers[subject]?.length) {
    message.ack();
    return null;
  }
  const parsed = busEventSchema.safeParse(message.body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { body: message.body, queue: BUS_QUEUE, error: `invalid envelope: ${issue?.path.join(".")}: ${issue?.message}`, attempts: message.attempts };
  }
  const event = parsed.data;
  const log = createLogger("bus", env.LOG_LEVEL, startSpan(event.metadata.traceparent));
  try {
    for (const handler of handlers[event.type] ?? []) await handler(event, env, log);
    message.ack();
    return null;
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    if (err instanceof PermanentError) {
      log.warn("bus handler rejected event permanently", { event_id: event.event_id, subject: event.type, error });
      return { body: event, queue: BUS_QUEUE, error, attempts: message.attempts };
    }
    log.warn("bus handler failed; will retry", { event_id: event.event_id, subject: event.type, error, attempts: message.attempts });
    message.retry({ delaySeconds: backoffSeconds(message.attempts) });
    return null;
  }
}

/**
 * Builds the Worker's `queue` handler around a table of subject → handlers. `deliver` acks or retries
 * each message itself, except dead ones, which are acked here once stored.
 */
export function createQueueHandler(handlers: HandlerTable) {
  return async function queue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
    // Handlers count metrics in this isolate's buffer; send them on once the batch is done.
    ctx.waitUntil(scheduler.wait(0).then(() => flushNow(env)));
    if (batch.queue === DEAD_LETTER_QUEUE) {
      const letters = batch.messages.map((m) => ({ body: m.body, queue: DEAD_LETTER_QUEUE, error: "exceeded max_retries on the bus queue", attempts: m.attempts }));
      await storeDeadLetters(env, letters);
      batch.ackAll();
      return;
    }
    const outcomes = await Promise.all(batch.messages.map(async (m) => ({ m, letter: await deliver(m, env, handlers) })));
    const dead = outcomes.filter((o): o is { m: Message<unknown>; letter: DeadLetter } => o.letter !== null);
    // Acked only once stored: if D1 fails, the messages come back rather than vanish.
    try {
      await storeDeadLetters(env, dead.map((o) => o.letter));
      for (const { m } of dead) m.ack();
    } catch {
      for (const { m } of dead) m.retry({ delaySeconds: backoffSeconds(m.attempts) });
    }
  };
}
