/**
 * Delivering a batch to a queue consumer as the Queues runtime would (createMessageBatch + getQueueResult):
 * the one way the tests hand messages to `worker.queue` or a consumer built for a test.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import worker from "../../../workers/index";

export type QueueConsumer = (batch: MessageBatch<unknown>, e: typeof env, ctx: ExecutionContext) => Promise<void>;

export interface Delivery {
  body: unknown;
  /** How many times the queue has delivered it, this one included (1 = first delivery). */
  attempts?: number;
}

export interface Delivered {
  /** Message ids in delivery order. */
  ids: string[];
  acked: Set<string>;
  /** Retried message ids and the delay each asked for. */
  retried: Map<string, number | undefined>;
  /** Per delivery, in order: what became of it. */
  outcomes: ("acked" | "retried" | "none")[];
}

/** Delivers the bodies as one batch on `queue` to `consumer` (the Worker's own by default). */
export async function deliver(
  queue: string,
  deliveries: readonly Delivery[],
  consumer: QueueConsumer = (b, e, c) => worker.queue(b, e, c),
): Promise<Delivered> {
  const ids = deliveries.map(() => crypto.randomUUID());
  const batch = createMessageBatch(
    queue,
    deliveries.map((d, i) => ({ id: ids[i] ?? "", timestamp: new Date(), attempts: d.attempts ?? 1, body: d.body })),
  );
  const ctx = createExecutionContext();
  await consumer(batch, env, ctx);
  const result = await getQueueResult(batch, ctx);
  const acked = new Set(result.explicitAcks);
  if (result.ackAll) for (const id of ids) acked.add(id);
  const retried = new Map(result.retryMessages.map((m) => [m.msgId, m.delaySeconds]));
  const outcomes = ids.map((id) => (retried.has(id) ? "retried" : acked.has(id) ? "acked" : "none"));
  return { ids, acked, retried, outcomes };
}
