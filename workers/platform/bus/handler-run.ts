/**
 * Running one message's handlers: each behind its circuit breaker, skipping those the ledger says already
 * applied it, with the consumer span and the ERROR event of a failure. The outcome says what became of the
 * message; the caller acks, retries or dead-letters it.
 */
import { breaker, retryDelaySeconds } from "../breaker/breaker";
import type { Env } from "../env";
import { createLogger, type Logger } from "../logger";
import { recordSpan } from "../otel/exporter";
import { startSpan } from "../trace";
import type { BusEvent } from "./envelope";
import type { ErrorEventInput } from "./error-event";
import { handlerContext, PermanentError, NotReadyError, type BusHandler } from "./handlers";
import { markApplied, pairKey, recordFailure } from "./ledger";
import type { DeadLetter } from "./dead-letters";

export const BUS_QUEUE = "botplane-bus";
const MAX_RETRY_DELAY_S = 300;

export type RunOutcome = (
  | { kind: "done" }
  | { kind: "retry"; delaySeconds: number }
  | { kind: "parked"; delaySeconds: number }
  | { kind: "dead"; letter: DeadLetter }
) & {
  /** The handler failure to announce as an ERROR event (the consumer publishes a batch's failures together). */
  failure?: ErrorEventInput;
};

export function backoffSeconds(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_RETRY_DELAY_S, 2 ** attempts);
  return Math.ceil(base / 2 + random() * (base / 2));
}

export interface RunInput {
  message: Message<unknown>;
  event: BusEvent;
  handlers: readonly BusHandler[];
  applied: ReadonlySet<string>;
  resolve?: ((event: BusEvent, env: Env) => Promise<BusEvent>) | undefined;
}

/**
 * While a handler's breaker is open the message is sent again with a delay (same event_id) instead of being
 * retried: `retry()` would spend an attempt, and an outage must not push good events into the dead letters.
 */
async function park(
  input: RunInput,
  env: Env,
  handler: string,
  retryAfterMs: number,
  log: Logger,
): Promise<RunOutcome> {
  const delaySeconds = retryDelaySeconds(retryAfterMs);
  try {
    await env.BUS.send(input.event, { delaySeconds, contentType: "json" });
    log.info("handler's breaker is open; event parked", {
      event_id: input.event.event_id,
      handler,
      delay_s: delaySeconds,
    });
    return { kind: "parked", delaySeconds };
  } catch {
    // Could not park it: fall back to a retry, which at least does not lose it.
    return { kind: "retry", delaySeconds };
  }
}

export async function runHandlers(input: RunInput, env: Env, ctx: ExecutionContext): Promise<RunOutcome> {
  const { message, event } = input;
  const trace = startSpan(event.metadata.traceparent);
  const log = createLogger("bus", env.LOG_LEVEL, trace);
  const startMs = Date.now();
  const pending = input.handlers.filter((h) => !input.applied.has(pairKey(event.event_id, h.name)));
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
    return { kind: "done" };
  }
  const whole = event.payload_ref && input.resolve ? await input.resolve(event, env) : event;
  for (const handler of pending) {
    const gate = breaker(env, `bus.handler.${handler.name}`, (p) => ctx.waitUntil(p));
    const verdict = gate.check();
    if (!verdict.allowed) return park(input, env, handler.name, verdict.retryAfterMs, log);
    try {
      await handler.run(whole, env, log, handlerContext(env, event.event_id, handler.name));
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
      const failure: ErrorEventInput = {
        sourceComponent: `bus.handler.${handler.name}`,
        severity: permanent ? "ERROR" : "WARNING",
        message: `${handler.name} failed on ${event.type} ${event.event_id}: ${error}`,
        errorType: permanent ? "handler_rejected" : "handler_failed",
        suggestedAction: permanent ? "ESCALATE" : "RETRY",
        correlationId: event.correlation_id,
        traceparent: event.metadata.traceparent,
        context: { event_id: event.event_id, subject: event.type, attempts: String(message.attempts) },
      };
      span(true);
      if (permanent)
        return {
          failure,
          kind: "dead",
          letter: { body: event, queue: BUS_QUEUE, error, handler: handler.name, attempts: message.attempts },
        };
      await recordFailure(env, event.event_id, handler.name, error, message.attempts, Date.now());
      return { kind: "retry", delaySeconds: backoffSeconds(message.attempts), failure };
    }
  }
  span(false);
  return { kind: "done" };
}
