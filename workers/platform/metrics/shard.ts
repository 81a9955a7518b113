/**
 * The MetricsShard object's RPC contract and its one accessor. The class lives in durable-objects/ and
 * implements this contract; the recorder and `/metrics` reach shards through `metricsShard`.
 */
import type { Env } from "../env";
import { type RpcOf, stubAs } from "../rpc";

export interface MetricsShardContract {
  /** Adds deltas to the stored series, all or none; returns how many were added. */
  add(delta: [string, number][]): number;
  read(): { key: string; value: number }[];
}

export type MetricsShardRpc = RpcOf<MetricsShardContract>;

export function metricsShard(env: Pick<Env, "METRICS">, shard: number): MetricsShardRpc {
  return stubAs<MetricsShardContract>(env.METRICS, `shard-${shard}`);
}
