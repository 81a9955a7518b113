/**
 * Publishing onto the bus. An event is accepted once its partition (chosen by subject) has logged it in
 * SQLite: from there the partition feeds live subscribers, forwards it to the queue, and re-sends it until the
 * queue consumer confirms it was handled — so an accepted event survives a crash of any process, the local
 * queue's included. Large payloads go to R2 first (claim check). Each accepted event is counted in
 * `jimbot_event_bus_messages_total`.
 */
import type { Env } from "../env";
import { busMessages } from "../metrics/catalog";
import { increment } from "../metrics/recorder";
import { placePayload } from "./claim-check";
import type { BusEvent } from "./envelope";
import { busPartition, partitionCount, type AppendOptions } from "./partition-client";
import { partitionOf } from "./partitions";

/** Events per append call: keeps each call's structured-clone payload modest. */
const APPEND_CHUNK = 100;

/** What publishing needs: the partitions, R2 for the claim check, and the config (partition count). */
export type PublishEnv = Env;

/** Some events were not accepted; `failed` holds their indexes and why. */
export class PublishError extends Error {
  constructor(readonly failed: ReadonlyMap<number, string>) {
    super(`bus refused ${failed.size} event(s): ${[...failed.values()][0] ?? "unknown error"}`);
    this.name = "PublishError";
  }
}

/** Appends chunk after chunk; stops at the first failure, reporting how many were accepted before it. */
async function appendInOrder(
  env: PublishEnv,
  partition: number,
  events: readonly BusEvent[],
  options: AppendOptions,
): Promise<{ accepted: number; error?: string }> {
  let accepted = 0;
  for (let i = 0; i < events.length; i += APPEND_CHUNK) {
    try {
      const result = await busPartition(env, partition).append(events.slice(i, i + APPEND_CHUNK), options);
      if (!result.ok) return { accepted, error: `${result.code}: ${result.message}` };
      accepted += result.results.length;
    } catch (err) {
      return { accepted, error: err instanceof Error ? err.message : String(err) };
    }
  }
  return { accepted };
}

/**
 * Durably accepts the events; resolves to a map of the indexes that were NOT accepted (empty when all were).
 * Events of one subject are appended in the order given; partitions are written concurrently.
 */
export async function appendToBus(
  env: PublishEnv,
  events: readonly BusEvent[],
  options: AppendOptions = {},
): Promise<Map<number, string>> {
  const failed = new Map<number, string>();
  const count = partitionCount(env);
  const byPartition = new Map<number, { index: number; event: BusEvent }[]>();
  const checked = await Promise.allSettled(events.map((event) => placePayload(env, event)));
  checked.forEach((c, index) => {
    if (c.status === "rejected") {
      failed.set(index, `payload store unavailable: ${String(c.reason)}`);
      return;
    }
    const p = partitionOf(c.value.type, count);
    const list = byPartition.get(p) ?? [];
    list.push({ index, event: c.value });
    byPartition.set(p, list);
  });
  await Promise.all(
    [...byPartition].map(async ([partition, items]) => {
      const batch = items.map((i) => i.event);
      const { accepted, error } = await appendInOrder(env, partition, batch, options);
      for (const item of items.slice(accepted)) failed.set(item.index, `bus partition ${partition}: ${error}`);
      for (const { event } of items.slice(0, accepted)) {
        increment(busMessages, { source: event.source, destination: "bus", event_type: event.type });
      }
    }),
  );
  return failed;
}

/** Durably accepts every event or throws a PublishError (a retry is safe: partitions de-duplicate by event_id). */
export async function publish(
  env: PublishEnv,
  events: readonly BusEvent[],
  options: AppendOptions = {},
): Promise<void> {
  if (events.length === 0) return;
  const failed = await appendToBus(env, events, options);
  if (failed.size > 0) throw new PublishError(failed);
}
