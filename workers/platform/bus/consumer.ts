/**
 * The bus queue consumers. For the bus queue, every message is validated, passed to the batch hooks (the
 * bus domain records history and feeds live subscribers there), and dispatched by subject to its handlers,
 * each message acked or retried on its own. Handler effects go through the ledger so a redelivery never
 * applies one twice. A message that can never succeed (malformed, or a handler's PermanentError) is stored
 * as a dead letter at once; one that keeps failing reaches the dead-letter queue after max_retries, whose
 * consumer stores it with the last error and attempt count. Every failure is also published as an ERROR
 * event and counted in `jimbot_error_rate_total`. Each handler runs behind its circuit breaker.
 */
import { breaker, retryDelaySeconds } from "../breaker/breaker";
import { createDb } from "../db/client";
import { deadLetters } from "../db/schema";
import type { Env } from "../env";
import { createLogger, type Logger } from "../logger";
import { recordSpan } from "../otel/exporter";
import { errorRate } from "../metrics/catalog";
import { flushNow, increment } from "../metrics/recorder";
import { startSpan } from "../trace";
import { busEventSchema, type BusEvent } from "./envelope";
import { errorEvent } from "./error-event";
import { appliedPairs, clearFailure, lastFailure, markApplied, pairKey, recordFailure } from "./ledger";
import { publish } from "./publish";

export const BUS_QUEUE = "botplane-bus";
export const DEAD_LETTER_QUEUE = "botplane-bus-dlq";
const MAX_RETRY_DELAY_S = 300;

export interface BusHandler {
  /** Stable name: the ledger records effects under it. */
  name: string;
  run: (event: BusEvent, env: Env, log: Logger) => Promise<void>;
}
export type HandlerTable = Readonly<Record<string, readonly BusHandler[]>>;

export interface ConsumerHooks {
  handlers: HandlerTable;
  /** Runs once per batch with every valid event before any handler; a throw retries the whole batch. */
  onEvents?: (events: BusEvent[], env: Env, ctx: ExecutionContext) => Promise<void>;
  /** Resolves a claim-checked event to its whole payload for the handlers. */
  resolve?: (event: BusEvent, env: Env) => Promise<BusEvent>;
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

interface DeadLetter {
  body: unknown;
  queue: string;
  error: string;
  handler?: string | undefined;
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
      handler: l.handler ?? null,
      attempts: l.attempts,
    };
  });
  // 9 columns a row: chunks of 10 stay under D1's 100 bound parameters per statement.
  const inserts = [];
  for (let i = 0; i < rows.length; i += 10) inserts.push(db.insert(deadLetters).values(rows.slice(i, i + 10)));
  const [first, ...rest] = inserts;
  if (first) await db.batch([first, ...rest]);
}

function backoffSeconds(attempts: number): number {
  const base = Math.min(MAX_RETRY_DELAY_S, 2 ** attempts);
  return Math.ceil(base / 2 + Math.random() * (base / 2));
}

/** Publishes a failure as an ERROR event; a failure to do so is logged, never thrown (it must not loop). */
async function announceFailure(env: Env, log: Logger, input: Parameters<typeof errorEvent>[0]): Promise<void> {
  increment(errorRate, { component: input.sourceComponent, severity: input.severity, error_type: input.errorType });
  try {
    await publish(env.BUS, [errorEvent(input)]);
  } catch (err) {
    log.error("could not publish ERROR event", { error: err instanceof Error ? err.message : String(err) });
  }
}

/**
 * Runs one message's pending handlers, each behind its circuit breaker. While a handler's breaker is open
 * the message is acked and sent again with a delay (same event_id): `retry()` would spend an attempt, and
 * an outage must not push good events into the dead-letter queue.
 */
async function runHandlers(
  message: Message<unknown>,
  event: BusEvent,
  env: Env,
  ctx: ExecutionContext,
  hooks: ConsumerHooks,
  applied: Set<string>,
): Promise<DeadLetter | null> {
  const trace = startSpan(event.metadata.traceparent);
  const log = createLogger("bus", env.LOG_LEVEL, trace);
  const startMs = Date.now();
  const pending = (hooks.handlers[event.type] ?? []).filter((h) => !applied.has(pairKey(event.event_id, h.name)));
  // The consumer's span continues the publisher's trace: publisher → queue → handler.
  const span = (error: boolean) =>
    recordSpan(
      env,
      {
        trace,
        name: `consume ${event.type}`,
        kind: "consumer",
        startMs,
        endMs: Date.now(),
        error,
        attributes: {
          "messaging.destination.name": BUS_QUEUE,
          "messaging.message.id": event.event_id,
          "messaging.batch.message_count": 1,
          handlers: pending.length,
        },
      },
      (p) => ctx.waitUntil(p),
    );
  if (pending.length === 0) {
    span(false);
    message.ack();
    return null;
  }
  const whole = event.payload_ref && hooks.resolve ? await hooks.resolve(event, env) : event;
  for (const handler of pending) {
    const gate = breaker(env, `bus.handler.${handler.name}`, (p) => ctx.waitUntil(p));
    const verdict = gate.check();
    if (!verdict.allowed) {
      await parkWhileOpen(message, event, env, handler.name, verdict.retryAfterMs, log);
      return null;
    }
    try {
      await handler.run(whole, env, log);
      gate.success();
      await markApplied(env, event.event_id, handler.name, Date.now());
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      const permanent = err instanceof PermanentError;
      // A handler that rejected its input, or said "not yet", has answered: that is not an outage.
      if (permanent || err instanceof NotReadyError) gate.success();
      else gate.failure(err);
      const fields = {
        event_id: event.event_id,
        subject: event.type,
        handler: handler.name,
        error,
        attempts: message.attempts,
      };
      log.warn(permanent ? "bus handler rejected event permanently" : "bus handler failed; will retry", fields);
      await announceFailure(env, log, {
        sourceComponent: `bus.handler.${handler.name}`,
        severity: permanent ? "ERROR" : "WARNING",
        message: `${handler.name} failed on ${event.type} ${event.event_id}: ${error}`,
        errorType: permanent ? "handler_rejected" : "handler_failed",
        suggestedAction: permanent ? "ESCALATE" : "RETRY",
        correlationId: event.correlation_id,
        traceparent: event.metadata.traceparent,
        context: { event_id: event.event_id, subject: event.type, attempts: String(message.attempts) },
      });
      span(true);
      if (permanent) return { body: event, queue: BUS_QUEUE, error, handler: handler.name, attempts: message.attempts };
      await recordFailure(env, event.event_id, handler.name, error, message.attempts, Date.now());
      message.retry({ delaySeconds: backoffSeconds(message.attempts) });
      return null;
    }
  }
  span(false);
  message.ack();
  return null;
}

async function parkWhileOpen(
  message: Message<unknown>,
  event: BusEvent,
  env: Env,
  handler: string,
  retryAfterMs: number,
  log: Logger,
): Promise<void> {
  const delaySeconds = retryDelaySeconds(retryAfterMs);
  try {
    await env.BUS.send(event, { delaySeconds, contentType: "json" });
    message.ack();
    log.info("handler's breaker is open; event parked", { event_id: event.event_id, handler, delay_s: delaySeconds });
  } catch {
    // Could not park it: fall back to a retry, which at least does not lose it.
    message.retry({ delaySeconds });
  }
}

async function consumeBus(
  batch: MessageBatch<unknown>,
  env: Env,
  ctx: ExecutionContext,
  hooks: ConsumerHooks,
): Promise<void> {
  const valid: { message: Message<unknown>; event: BusEvent }[] = [];
  const dead: { message: Message<unknown>; letter: DeadLetter }[] = [];
  for (const message of batch.messages) {
    const parsed = busEventSchema.safeParse(message.body);
    if (parsed.success) valid.push({ message, event: parsed.data });
    else {
      const issue = parsed.error.issues[0];
      dead.push({
        message,
        letter: {
          body: message.body,
          queue: BUS_QUEUE,
          error: `invalid envelope: ${issue?.path.join(".")}: ${issue?.message}`,
          attempts: message.attempts,
        },
      });
    }
  }
  if (hooks.onEvents && valid.length)
    await hooks.onEvents(
      valid.map((v) => v.event),
      env,
      ctx,
    );
  const applied = await appliedPairs(
    env,
    valid.map((v) => v.event.event_id),
  );
  // Events sharing a correlation_id run their handlers in message order; different ones in parallel.
  const chains = new Map<string, Promise<void>>();
  for (const { message, event } of valid) {
    const previous = chains.get(event.correlation_id) ?? Promise.resolve();
    chains.set(
      event.correlation_id,
      previous.then(async () => {
        const letter = await runHandlers(message, event, env, ctx, hooks, applied);
        if (letter) dead.push({ message, letter });
      }),
    );
  }
  await Promise.all(chains.values());
  // Dead ones are acked only once stored: if D1 fails, they come back rather than vanish.
  try {
    await storeDeadLetters(
      env,
      dead.map((d) => d.letter),
    );
    for (const { message } of dead) message.ack();
  } catch {
    for (const { message } of dead) message.retry({ delaySeconds: backoffSeconds(message.attempts) });
  }
}

async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const log = createLogger("bus", env.LOG_LEVEL);
  const letters: DeadLetter[] = [];
  for (const m of batch.messages) {
    const parsed = busEventSchema.safeParse(m.body);
    const failure = parsed.success ? await lastFailure(env, parsed.data.event_id) : undefined;
    letters.push({
      body: m.body,
      queue: DEAD_LETTER_QUEUE,
      error: failure?.error ?? "exceeded max_retries on the bus queue",
      handler: failure?.handler,
      attempts: failure?.attempts ?? m.attempts,
    });
  }
  await storeDeadLetters(env, letters);
  batch.ackAll();
  for (const letter of letters) {
    const parsed = busEventSchema.safeParse(letter.body);
    if (parsed.success) await clearFailure(env, parsed.data.event_id);
    await announceFailure(env, log, {
      sourceComponent: "bus.dead_letters",
      severity: "ERROR",
      message: `dead letter: ${parsed.success ? `${parsed.data.type} ${parsed.data.event_id}` : "unparseable message"}: ${letter.error}`,
      errorType: "dead_letter",
      suggestedAction: "ESCALATE",
      ...(parsed.success
        ? {
            correlationId: parsed.data.correlation_id,
            context: { event_id: parsed.data.event_id, subject: parsed.data.type, handler: letter.handler ?? "" },
          }
        : {}),
    });
  }
}

/** Builds the Worker's `queue` handler: the bus queue and its dead-letter queue. */
export function createQueueHandler(hooks: ConsumerHooks) {
  return async function queue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
    // Handlers count metrics in this isolate's buffer; send them on once the batch is done.
    ctx.waitUntil(scheduler.wait(0).then(() => flushNow(env)));
    if (batch.queue === DEAD_LETTER_QUEUE) await consumeDeadLetters(batch, env);
    else await consumeBus(batch, env, ctx, hooks);
  };
}
