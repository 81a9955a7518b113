/**
 * What a partition logged: the events published under a subject (optionally of one correlation), read
 * from the EventStream partition's SQLite — how a test sees an event a handler published.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import type { EventStream } from "../../../durable-objects/event-stream";
import type { BusEvent } from "../../../workers/platform/bus/envelope";
import { partitionCount } from "../../../workers/platform/bus/partition-client";
import { partitionName, partitionOf } from "../../../workers/platform/bus/partitions";

export async function loggedEvents(subject: string, correlationId?: string): Promise<BusEvent[]> {
  const stub = env.EVENT_STREAM.getByName(partitionName(partitionOf(subject, partitionCount(env))));
  return runInDurableObject(stub, (_: EventStream, state) =>
    state.storage.sql
      .exec<{ event: string }>("SELECT event FROM events WHERE subject = ? ORDER BY seq", subject)
      .toArray()
      .map((r) => JSON.parse(r.event) as BusEvent)
      .filter((e) => correlationId === undefined || e.correlation_id === correlationId),
  );
}
