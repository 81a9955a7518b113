/**
 * RateLimiter: one Durable Object per limit key, holding seed 002's limiter as two token buckets — a
 * sustained bucket (capacity, refilled per hour) and a burst bucket (burst tokens, refilled that many per
 * second). A request passes only if both hold its cost, and then takes it from both. `take` reads,
 * refills, spends and writes in one synchronous step with no await in between, so concurrent callers are
 * serialised by the object and the count is exact, not approximate.
 *
 * The limits come with every call, from the caller's config (limits.ts), so a change applies on the very
 * next call; a lowered capacity clips the stored tokens. Tokens are stored as integers in units of
 * 1/86,400,000 of a token (one per millisecond of a day): every rate the config accepts (whole tokens per
 * second, minute, hour or day) then refills a whole number of units per millisecond, and no rounding error
 * accumulates. An alarm drops the row once both buckets are full again, so an idle key keeps no state.
 */
import { DurableObject } from "cloudflare:workers";
import { DueWork } from "../workers/platform/durable/due-work";
import type { Env } from "../workers/platform/env";
import { fail, type Result } from "../workers/platform/errors";
import type { BucketLimits } from "../workers/platform/rate-limit/limits";
import type { BucketName, RateLimiterContract, TakeResult } from "../workers/platform/rate-limit/limiter";

export type { BucketName, TakeResult };

const UNITS = 86_400_000;
const SCHEMA =
  "CREATE TABLE IF NOT EXISTS buckets (id INTEGER PRIMARY KEY CHECK (id = 1), sustained INTEGER NOT NULL, burst INTEGER NOT NULL, at INTEGER NOT NULL, full_at INTEGER NOT NULL)";

interface Bucket {
  name: BucketName;
  capacity: number;
  /** Units refilled per millisecond. */
  rate: number;
  tokens: number;
}

type Row = {
  sustained: number;
  burst: number;
  at: number;
  full_at: number;
};

const isPositiveInt = (n: number) => Number.isSafeInteger(n) && n > 0;

function invalidInput(limits: BucketLimits, cost: number): string | null {
  if (!isPositiveInt(limits.capacity)) return "capacity must be a positive integer";
  if (!isPositiveInt(limits.burst_per_second)) return "burst_per_second must be a positive integer";
  if (!isPositiveInt(Math.round(limits.refill_per_hour * 24))) return "refill_per_hour must be whole tokens per day";
  if (!isPositiveInt(cost) || cost > Math.min(limits.capacity, limits.burst_per_second))
    return "cost must be a positive integer no larger than either bucket";
  return null;
}

/** Both buckets as of `now`: stored tokens plus what refilled since, clipped to (possibly new) capacities. */
function bucketsAt(limits: BucketLimits, row: Row | undefined, now: number): [Bucket, Bucket] {
  const elapsed = row ? Math.max(0, now - row.at) : 0;
  const bucket = (name: BucketName, capacity: number, rate: number, stored: number | undefined): Bucket => ({
    name,
    capacity,
    rate,
    tokens: stored === undefined ? capacity : Math.min(capacity, stored + elapsed * rate),
  });
  return [
    bucket("sustained", limits.capacity * UNITS, Math.round(limits.refill_per_hour * 24), row?.sustained),
    bucket("burst", limits.burst_per_second * UNITS, limits.burst_per_second * 86_400, row?.burst),
  ];
}

const waitFor = (b: Bucket, units: number) => Math.max(0, Math.ceil((units - b.tokens) / b.rate));

export class RateLimiter extends DurableObject<Env> implements RateLimiterContract {
  /** The limiter's clock; tests replace it to move time instead of waiting. */
  clock: () => number = () => Date.now();
  private readonly sql: SqlStorage;
  private readonly due;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
    this.due = new DueWork(ctx, {
      clock: () => this.clock(),
      // Tests move this clock yet expect the alarm to fire, so alarms are set as a delay from real time.
      alarmTime: "real",
      work: {
        // A full pair of buckets is what a fresh key gets, so an idle key's row can go.
        dropFull: {
          nextDueAt: () => this.row()?.full_at ?? null,
          run: (now: number) => {
            if ((this.row()?.full_at ?? Infinity) <= now) this.sql.exec("DELETE FROM buckets");
          },
        },
      },
    });
  }

  async take(limits: BucketLimits, cost = 1): Promise<Result<TakeResult>> {
    const invalid = invalidInput(limits, cost);
    if (invalid) return fail(400, "invalid_rate_limit", invalid, { limits, cost });
    const row = this.row();
    // A clock that steps back must not make the next refill count the same time twice.
    const now = Math.max(this.clock(), row?.at ?? -Infinity);
    const buckets = bucketsAt(limits, row, now);
    const need = cost * UNITS;
    const short = buckets.filter((b) => b.tokens < need);
    if (short.length > 0) {
      // Both must hold the cost, so the wait is the longer one; that bucket is the one to report.
      const binding = short.map((b) => ({ b, wait: waitFor(b, need) })).reduce((x, y) => (y.wait > x.wait ? y : x));
      return {
        ok: true,
        allowed: false,
        remaining: this.remaining(buckets).remaining,
        retry_after_ms: binding.wait,
        limit: binding.b.capacity / UNITS,
        bucket: binding.b.name,
      };
    }
    for (const b of buckets) b.tokens -= need;
    const [sustained, burst] = buckets;
    const fullAt = now + Math.max(...buckets.map((b) => waitFor(b, b.capacity)));
    this.sql.exec(
      "INSERT OR REPLACE INTO buckets (id, sustained, burst, at, full_at) VALUES (1, ?, ?, ?, ?)",
      sustained.tokens,
      burst.tokens,
      now,
      fullAt,
    );
    const { remaining, bucket } = this.remaining(buckets);
    await this.due.armBy(fullAt);
    return {
      ok: true,
      allowed: true,
      remaining,
      retry_after_ms: 0,
      limit: bucket.capacity / UNITS,
      bucket: bucket.name,
    };
  }

  override async alarm(): Promise<void> {
    await this.due.alarm();
  }

  private row(): Row | undefined {
    return this.sql.exec<Row>("SELECT sustained, burst, at, full_at FROM buckets WHERE id = 1").toArray()[0];
  }

  private remaining(buckets: [Bucket, Bucket]): { remaining: number; bucket: Bucket } {
    const [sustained, burst] = buckets;
    const bucket = Math.floor(burst.tokens / UNITS) <= Math.floor(sustained.tokens / UNITS) ? burst : sustained;
    return { remaining: Math.floor(bucket.tokens / UNITS), bucket };
  }
}
