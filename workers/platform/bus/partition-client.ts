/**
 * The bus partition's RPC contract and the one way to reach a partition. The partitions are EventStream
 * Durable Objects (durable-objects/event-stream.ts implements this contract); the platform knows them only
 * through it, so publishing and the queue consumer never import a Durable Object class.
 */
import type { Env } from "../env";
import type { Result } from "../errors";
import type { BusEvent } from "./envelope";
import { readConfig } from "../config";
import { stubAs } from "../rpc";
import { partitionName } from "./partitions";

/** One `append` outcome: the event's cursor in its partition, and whether the partition had it already. */
export interface AppendResult {
  event_id: string;
  seq: number;
  duplicate: boolean;
}

/** What the queue consumer reports back: events it is done with, and events it will see again later. */
export interface Settlement {
  /** Stored in history and handled (or dead-lettered): the partition stops re-sending them. */
  delivered: string[];
  /** Retried or parked by the consumer: not to be re-sent before the queue had its chance. */
  deferred: { event_id: string; delay_ms: number }[];
}

export interface PartitionStats {
  partition: string;
  subscribers: number;
  last_seq: number;
  log_rows: number;
  undelivered: number;
}

export interface AppendOptions {
  /** Send events the partition already has to the queue again (a dead-letter replay). */
  redeliver?: boolean;
}

export interface BusPartitionRpc {
  append(events: BusEvent[], options?: AppendOptions): Promise<Result<{ results: AppendResult[] }>>;
  settle(report: Settlement): Promise<Result<{ delivered: number; deferred: number }>>;
  prune(beforeMs: number, maxRows: number): Promise<Result<{ deleted: number; more: boolean }>>;
  /** Re-sends what is overdue now (the cron tick calls it so a lost alarm cannot strand events). */
  tick(): Promise<{ resent: number }>;
  stats(): Promise<PartitionStats>;
  fetch(request: Request): Promise<Response>;
}

/** EVENT_BUS_PARTITIONS (platform/config.ts: 1–64, default 8). */
export function partitionCount(env: Env): number {
  return readConfig(env).eventBusPartitions;
}

export function busPartition(env: Pick<Env, "EVENT_STREAM">, index: number): BusPartitionRpc {
  return stubAs<BusPartitionRpc>(env.EVENT_STREAM, partitionName(index));
}

/** Every partition's overdue re-sends, now (the cron tick: a lost alarm must not strand undelivered events). */
export async function tickPartitions(env: Env): Promise<number> {
  const ticks = Array.from({ length: partitionCount(env) }, (_, i) => busPartition(env, i).tick());
  return (await Promise.all(ticks)).reduce((sum, t) => sum + t.resent, 0);
}
