/**
 * Delivering a batch to a queue consumer as the Queues runtime would (createMessageBatch + getQueueResult):
 * the one way the tests hand messages to `worker.queue` or to a consumer built for a test.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import type { BusEvent } from "../../../workers/platform/bus/envelope";
import worker from "../../../workers/index";

export type QueueConsumer = (batch: MessageBatch<unknown>, e: typeof env, ctx: ExecutionContext) => Promise<void>;

export interface Delivery {
  body: unknown;
  /** How many times the queue has delivered it, this one included (1 = first delivery). */
  attempts?: number;
}

/** Delivers the bodies as one batch on `queue` to `consumer` (the Worker's own by default). */
export async function deliver(
  queue: string,
  deliveries: readonly Delivery[],
  consumer: QueueConsumer = (b, e, c) => worker.queue(b, e, c),
) {
  const batch = createMessageBatch(
    queue,
    deliveries.map((d) => ({
      id: crypto.randomUUID(),
      timestamp: new Date(),
      attempts: d.attempts ?? 1,
      body: d.body,
    })),
  );
  const ctx = createExecutionContext();
  await consumer(batch, env, ctx);
  const result = await getQueueResult(batch, ctx);
  const retried = new Set(result.retryMessages.map((m) => m.msgId));
  const acked = new Set(result.ackAll ? batch.messages.map((m) => m.id) : result.explicitAcks);
  /** Per delivery, in order: what became of it. */
  const outcomes = batch.messages.map((m) => (retried.has(m.id) ? "retried" : acked.has(m.id) ? "acked" : "none"));
  return { batch, result, outcomes };
}

/** The bodies, each delivered for the first time, as one batch to the Worker's bus consumer. */
export function deliverToBus(bodies: readonly unknown[], consumer?: QueueConsumer) {
  return deliver(
    "botplane-bus",
    bodies.map((body) => ({ body })),
    consumer,
  );
}

/**
 * A stand-in for the bus queue a partition forwards to: it records what it takes, or refuses everything while
 * `mode.refuse` is set. One that takes and keeps messages but never delivers them is a queue that loses them.
 */
export function fakeBusQueue(mode: { refuse: boolean } = { refuse: false }) {
  const sent: BusEvent[] = [];
  const queue = {
    sendBatch(messages: Iterable<MessageSendRequest<BusEvent>>) {
      if (mode.refuse) return Promise.reject(new Error("queue unavailable"));
      for (const m of messages) sent.push(m.body);
      return Promise.resolve();
    },
  } as unknown as Queue<BusEvent>;
  return { queue, sent };
}
