/**
 * Exactly-once effects inside a Durable Object. A caller that may repeat a call (a bus handler after a
 * redelivery) passes an idempotency key; the object checks and records it in the same SQLite transaction as
 * the change it makes, so the change and the mark commit together or not at all. A key seen before applies
 * nothing. Keys are kept for KEY_HORIZON_MS, longer than the bus keeps events (EVENT_RETENTION_DAYS, 7 days
 * by default), so no redelivery can outlive its key; pruning them is one of the object's timed works.
 */
import type { TimedWork } from "./due-work";

/** Eight days: a day longer than the default bus retention of seven. */
export const KEY_HORIZON_MS = 8 * 24 * 3600_000;
/** Expired keys are pruned at most this often, and this many per run, so one alarm never runs long. */
const PRUNE_EVERY_MS = 3600_000;
const PRUNE_BATCH = 1000;

export class AppliedKeys implements TimedWork<{ pruned: number }> {
  private lastPruned = 0;

  constructor(
    private readonly sql: SqlStorage,
    private readonly horizonMs: number = KEY_HORIZON_MS,
  ) {
    sql.exec("CREATE TABLE IF NOT EXISTS applied_keys (key TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)");
    sql.exec("CREATE INDEX IF NOT EXISTS applied_keys_at ON applied_keys (applied_at)");
  }

  /**
   * Records `key` as applied at `now`; false when it already was, and the caller must apply nothing. Call it
   * inside the transaction that makes the change: a rollback forgets the key with the change.
   */
  claim(key: string, now: number): boolean {
    return (
      this.sql
        .exec(
          "INSERT INTO applied_keys (key, applied_at) VALUES (?, ?) ON CONFLICT(key) DO NOTHING RETURNING 1",
          key,
          now,
        )
        .toArray().length === 1
    );
  }

  has(key: string): boolean {
    return this.sql.exec("SELECT 1 FROM applied_keys WHERE key = ?", key).toArray().length > 0;
  }

  nextDueAt(now: number): number | null {
    const oldest = this.sql.exec<{ t: number | null }>("SELECT MIN(applied_at) AS t FROM applied_keys").one().t;
    if (oldest === null) return null;
    return Math.max(oldest + this.horizonMs, this.lastPruned + PRUNE_EVERY_MS, now);
  }

  run(now: number): { pruned: number } {
    const pruned = this.sql
      .exec(
        "DELETE FROM applied_keys WHERE key IN (SELECT key FROM applied_keys WHERE applied_at < ? LIMIT ?) RETURNING 1",
        now - this.horizonMs,
        PRUNE_BATCH,
      )
      .toArray().length;
    this.lastPruned = now;
    return { pruned };
  }
}
