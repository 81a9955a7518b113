/**
 * What the consumer tells the bus partitions after a batch: which events it is done with (stored and handled,
 * or dead-lettered) and which the queue will bring back later (retried or parked). Partitions re-send only
 * events nobody settled, so an event lost by the queue — or by a crash of the local server — comes back.
 */
import type { Env } from "../env";
import type { BusEvent } from "./envelope";
import { busPartition, partitionCount, type Settlement } from "./partition-client";
import { partitionOf } from "./partitions";

export class Settlements {
  private readonly byPartition = new Map<number, Settlement>();
  private readonly count: number;

  constructor(private readonly env: Env) {
    this.count = partitionCount(env);
  }

  private of(event: BusEvent): Settlement {
    const p = partitionOf(event.type, this.count);
    let s = this.byPartition.get(p);
    if (!s) {
      s = { delivered: [], deferred: [] };
      this.byPartition.set(p, s);
    }
    return s;
  }

  delivered(event: BusEvent): void {
    this.of(event).delivered.push(event.event_id);
  }

  deferred(event: BusEvent, delaySeconds: number): void {
    this.of(event).deferred.push({ event_id: event.event_id, delay_ms: delaySeconds * 1000 });
  }

  /** Reports to each partition; a failure only means those events may be re-sent (and skipped as duplicates). */
  async send(): Promise<void> {
    await Promise.allSettled([...this.byPartition].map(([p, s]) => busPartition(this.env, p).settle(s)));
  }
}
