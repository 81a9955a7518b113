/**
 * The bus queue consumers. For the bus queue: every message's envelope is checked (a malformed one is a
 * dead letter at once), copies of one event_id in the batch are run once, the batch hooks run (the bus domain
 * records history there), then each message's handlers run (handler-run.ts) — messages sharing a
 * correlation_id in message order — and each message is acked, retried or dead-lettered on its own. The
 * partitions that logged the events are told which are settled, so they stop re-sending them. The dead-letter
 * queue's consumer stores what arrives with its last error and attempt count.
 */
import type { Env } from "../env";
import { createLogger } from "../logger";
import { flushNow } from "../metrics/recorder";
import { storeDeadLetters, type DeadLetter } from "./dead-letters";
import { busEventSchema, type BusEvent } from "./envelope";
import { announceFailures } from "./failure-events";
import type { ErrorEventInput } from "./error-event";
import { backoffSeconds, BUS_QUEUE, runHandlers, type RunOutcome } from "./handler-run";
import { handlersFor, type HandlerTable } from "./handlers";
import { appliedPairs, clearFailure, lastFailure } from "./ledger";
import { Settlements } from "./settlement";

export { BUS_QUEUE } from "./handler-run";
export { NotReadyError, PermanentError, type BusHandler, type HandlerTable } from "./handlers";
export const DEAD_LETTER_QUEUE = "botplane-bus-dlq";

export interface ConsumerHooks {
  handlers: HandlerTable;
  /** Runs once per batch with every valid event before any handler; a throw retries the whole batch. */
  onEvents?: (events: BusEvent[], env: Env, ctx: ExecutionContext) => Promise<void>;
  /** Resolves a claim-checked event to its whole payload for the handlers. */
  resolve?: (event: BusEvent, env: Env) => Promise<BusEvent>;
}

interface Item {
  message: Message<unknown>;
  event: BusEvent;
}

/** Splits a batch into valid events (first copy of each event_id), repeated copies, and malformed messages. */
function sortBatch(batch: MessageBatch<unknown>) {
  const valid: Item[] = [];
  const repeats: Item[] = [];
  const malformed: { message: Message<unknown>; letter: DeadLetter }[] = [];
  const seen = new Set<string>();
  for (const message of batch.messages) {
    const parsed = busEventSchema.safeParse(message.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const error = `invalid envelope: ${issue?.path.join(".")}: ${issue?.message}`;
      malformed.push({ message, letter: { body: message.body, queue: BUS_QUEUE, error, attempts: message.attempts } });
    } else if (seen.has(parsed.data.event_id)) repeats.push({ message, event: parsed.data });
    else {
      seen.add(parsed.data.event_id);
      valid.push({ message, event: parsed.data });
    }
  }
  return { valid, repeats, malformed };
}

async function consumeBus(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext, hooks: ConsumerHooks) {
  const { valid, repeats, malformed } = sortBatch(batch);
  // A second copy in the same batch carries nothing new: its first copy decides the event's fate.
  for (const { message } of repeats) message.ack();
  if (hooks.onEvents && valid.length) {
    await hooks.onEvents(
      valid.map((v) => v.event),
      env,
      ctx,
    );
  }
  const applied = await appliedPairs(
    env,
    valid.map((v) => v.event.event_id),
  );
  const settlements = new Settlements(env);
  const dead = [...malformed];
  const failures: ErrorEventInput[] = [];
  const settle = (item: Item, outcome: RunOutcome) => {
    if (outcome.failure) failures.push(outcome.failure);
    if (outcome.kind === "done") {
      item.message.ack();
      settlements.delivered(item.event);
    } else if (outcome.kind === "parked") {
      item.message.ack();
      settlements.deferred(item.event, outcome.delaySeconds);
    } else if (outcome.kind === "retry") {
      item.message.retry({ delaySeconds: outcome.delaySeconds });
      settlements.deferred(item.event, outcome.delaySeconds);
    } else dead.push({ message: item.message, letter: outcome.letter });
  };
  // Events sharing a correlation_id run their handlers in message order; different ones in parallel.
  const chains = new Map<string, Promise<void>>();
  for (const item of valid) {
    const handlers = handlersFor(hooks.handlers, item.event.type);
    const previous = chains.get(item.event.correlation_id) ?? Promise.resolve();
    const input = { ...item, handlers, applied, resolve: hooks.resolve };
    chains.set(
      item.event.correlation_id,
      previous.then(async () => settle(item, await runHandlers(input, env, ctx))),
    );
  }
  await Promise.all(chains.values());
  // Dead ones are acked only once stored: if D1 fails, they come back rather than vanish.
  try {
    await storeDeadLetters(
      env,
      dead.map((d) => d.letter),
    );
    for (const { message, letter } of dead) {
      message.ack();
      const parsed = busEventSchema.safeParse(letter.body);
      if (parsed.success) settlements.delivered(parsed.data);
    }
  } catch {
    for (const { message } of dead) message.retry({ delaySeconds: backoffSeconds(message.attempts) });
  }
  await Promise.all([settlements.send(), announceFailures(env, createLogger("bus", env.LOG_LEVEL), failures)]);
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
  const settlements = new Settlements(env);
  const failures: ErrorEventInput[] = [];
  for (const letter of letters) {
    const parsed = busEventSchema.safeParse(letter.body);
    if (parsed.success) {
      settlements.delivered(parsed.data);
      await clearFailure(env, parsed.data.event_id);
    }
    failures.push({
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
  await announceFailures(env, log, failures);
  await settlements.send();
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
