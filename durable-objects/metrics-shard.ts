/**
 * MetricsShard: one of a few Durable Objects that hold botplane's counters and histogram series summed
 * across every isolate. Isolates add deltas (off their request paths); `/metrics` reads all shards and adds
 * them up. Sharding keeps one hot object from serialising every isolate's flush.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../workers/platform/env";
import type { MetricsShardContract } from "../workers/platform/metrics/shard";

export class MetricsShard extends DurableObject<Env> implements MetricsShardContract {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS series (key TEXT PRIMARY KEY, value REAL NOT NULL)");
  }

  /** Adds deltas to the stored series; all of them or none (one implicit transaction). */
  add(delta: [string, number][]): number {
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      for (const [key, value] of delta) {
        sql.exec(
          "INSERT INTO series (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = value + excluded.value",
          key,
          value,
        );
      }
    });
    return delta.length;
  }

  read(): { key: string; value: number }[] {
    return this.ctx.storage.sql.exec<{ key: string; value: number }>("SELECT key, value FROM series").toArray();
  }
}
