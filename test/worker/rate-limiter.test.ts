/**
 * Rate limits: the RateLimiter object's two buckets (burst, sustained, refill by a moved clock, state
 * across eviction, idle cleanup), exactness under concurrent requests through the `rateLimit` middleware,
 * key resolution and the cache bound, and the config routes through the Worker's entry.
 */
import { env } from "cloudflare:workers";
import {
  createExecutionContext,
  evictDurableObject,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { Hono } from "hono";
import { describe, it } from "vitest";
import type { RateLimiter } from "../../durable-objects/rate-limiter";
import type { AppEnv } from "../../workers/platform/app-env";
import { handleError } from "../../workers/platform/errors";
import { flushNow } from "../../workers/platform/metrics/recorder";
import {
  forgetLimits,
  LIMITS_CACHE_MS,
  limitsFor,
  resolveLimits,
  SEED_LIMITS,
  type StoredLimit,
} from "../../workers/platform/rate-limit/limits";
import { rateLimit } from "../../workers/platform/rate-limit/middleware";
import { ADMIN, call, json, token, uniqueId } from "./helpers";

const SEED = { ...SEED_LIMITS };
const T0 = Date.now();
const PATH = "/api/v1/config/rate_limits";

const stub = (key: string) => env.RATE_LIMITER.getByName(key);

/** Runs `fn` inside the key's limiter with its clock stopped at `at`. */
async function inLimiter<T>(
  key: string,
  at: number,
  fn: (limiter: RateLimiter, state: DurableObjectState) => Promise<T> | T,
): Promise<T> {
  return runInDurableObject(stub(key), async (limiter: RateLimiter, state) => {
    limiter.clock = () => at;
    return fn(limiter, state);
  });
}

async function takeMany(limiter: RateLimiter, n: number) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const r = await limiter.take(SEED);
    if (!r.ok) throw new Error(r.message);
    out.push(r);
  }
  return out;
}

/** A bare app with one limited route, called the way the Worker runtime calls an app. */
function limitedApp(name: string) {
  const app = new Hono<AppEnv>();
  app.use("/limited", rateLimit({ name, key: (c) => c.req.header("x-limit-key") ?? null }));
  app.get("/limited", (c) => c.text("ok"));
  app.onError(handleError);
  return async (key: string | null) => {
    const ctx = createExecutionContext();
    const res = await app.request(
      "https://botplane.test/limited",
      { headers: key === null ? {} : { "x-limit-key": key } },
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return res;
  };
}

describe("RateLimiter", () => {
  it("should allow a burst of 10, then refuse until the next burst token is due", async ({ expect }) => {
    const results = await inLimiter(uniqueId("burst"), T0, (limiter) => takeMany(limiter, 11));
    expect(results.slice(0, 10).every((r) => r.allowed)).toBe(true);
    expect(results.slice(0, 10).map((r) => r.remaining)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(results[9]).toMatchObject({ limit: 10, bucket: "burst" });
    // 10 tokens a second: the next one is 100 ms away.
    expect(results[10]).toMatchObject({
      allowed: false,
      remaining: 0,
      retry_after_ms: 100,
      limit: 10,
      bucket: "burst",
    });
  });

  it("should refill the burst bucket as time passes", async ({ expect }) => {
    const key = uniqueId("refill");
    await inLimiter(key, T0, (limiter) => takeMany(limiter, 10));
    // 250 ms refill 2.5 tokens: two pass, and the third half-token is 50 ms away.
    const later = await inLimiter(key, T0 + 250, (limiter) => takeMany(limiter, 3));
    expect(later.map((r) => r.allowed)).toEqual([true, true, false]);
    expect(later[2]?.retry_after_ms).toBe(50);
    const refilled = await inLimiter(key, T0 + 300, (limiter) => takeMany(limiter, 1));
    expect(refilled[0]?.allowed).toBe(true);
  });

  it("should refuse past 100 sustained tokens until one refills (100/hour: one per 36 s)", async ({ expect }) => {
    const key = uniqueId("sustained");
    // Ten full bursts, one a second, drain the sustained bucket (the 9 s meanwhile refill a quarter token).
    for (let s = 0; s < 10; s++) {
      const burst = await inLimiter(key, T0 + s * 1000, (limiter) => takeMany(limiter, 10));
      expect(burst.every((r) => r.allowed)).toBe(true);
    }
    const refused = await inLimiter(key, T0 + 10_000, (limiter) => takeMany(limiter, 1));
    // 10 s have refilled 10/36 of a token; the rest arrives at T0 + 36 s.
    expect(refused[0]).toMatchObject({ allowed: false, retry_after_ms: 26_000, limit: 100, bucket: "sustained" });
    expect((await inLimiter(key, T0 + 35_999, (limiter) => takeMany(limiter, 1)))[0]).toMatchObject({
      allowed: false,
      retry_after_ms: 1,
    });
    const after = await inLimiter(key, T0 + 36_000, (limiter) => takeMany(limiter, 2));
    expect(after.map((r) => r.allowed)).toEqual([true, false]);
    expect(after[1]).toMatchObject({ retry_after_ms: 36_000, bucket: "sustained" });
  });

  it("should keep both buckets across eviction", async ({ expect }) => {
    const key = uniqueId("evict");
    await inLimiter(key, T0, (limiter) => takeMany(limiter, 10));
    await evictDurableObject(stub(key));
    const [after] = await inLimiter(key, T0, (limiter) => takeMany(limiter, 1));
    expect(after).toMatchObject({ allowed: false, retry_after_ms: 100 });
  });

  it("should clip stored tokens to a lowered capacity on the next call", async ({ expect }) => {
    const key = uniqueId("clip");
    await inLimiter(key, T0, (limiter) => takeMany(limiter, 1));
    const lowered = { ...SEED, burst_per_second: 3 };
    const results = await inLimiter(key, T0, async (limiter) => [
      await limiter.take(lowered),
      await limiter.take(lowered),
      await limiter.take(lowered),
      await limiter.take(lowered),
    ]);
    expect(results.map((r) => r.ok && r.allowed)).toEqual([true, true, true, false]);
  });

  it("should drop an idle key's row from its alarm once both buckets are full again", async ({ expect }) => {
    const key = uniqueId("idle");
    await inLimiter(key, T0, (limiter) => takeMany(limiter, 1));
    const rows = () =>
      runInDurableObject(
        stub(key),
        (_: RateLimiter, state) => state.storage.sql.exec("SELECT 1 FROM buckets").toArray().length,
      );
    expect(await inLimiter(key, T0 + 30_000, () => undefined)).toBeUndefined();
    expect(await runDurableObjectAlarm(stub(key))).toBe(true);
    expect(await rows()).toBe(1);
    await inLimiter(key, T0 + 36_000, () => undefined);
    expect(await runDurableObjectAlarm(stub(key))).toBe(true);
    expect(await rows()).toBe(0);
  });

  it("should refuse a cost larger than a bucket instead of never answering yes", async ({ expect }) => {
    const result = await inLimiter(uniqueId("cost"), T0, (limiter) => limiter.take(SEED, 11));
    expect(result).toMatchObject({ ok: false, status: 400, code: "invalid_rate_limit" });
  });
});

describe("rateLimit middleware", () => {
  it("should pass exactly 10 of 40 concurrent requests and refuse 30 with 429 and Retry-After", async ({ expect }) => {
    const name = uniqueId("concurrent");
    const key = uniqueId("concurrent-key");
    const request = limitedApp(name);
    // A stopped clock makes the count independent of how long 40 requests take on a busy machine.
    await inLimiter(key, T0, () => undefined);
    const responses = await Promise.all(Array.from({ length: 40 }, () => request(key)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30);
    const ok = responses.filter((r) => r.status === 200);
    expect(ok.map((r) => Number(r.headers.get("RateLimit-Remaining"))).sort((a, b) => a - b)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
    expect(ok.every((r) => r.headers.get("RateLimit-Limit") === "10")).toBe(true);
    const refused = responses.find((r) => r.status === 429);
    expect(refused?.headers.get("Retry-After")).toBe("1");
    expect(await refused?.json()).toMatchObject({
      error: { code: "rate_limited", details: { limit: name, retry_after_ms: 100 } },
    });

    await flushNow(env);
    await expect
      .poll(async () => (await call("/metrics", { token: await token(["metrics:read"]) })).text(), { timeout: 5_000 })
      .toContain(`botplane_rate_limited_total{limit="${name}"} 30`);
  });

  it("should leave a request unlimited when the key function returns null", async ({ expect }) => {
    const request = limitedApp("unkeyed");
    const statuses = [];
    for (let i = 0; i < 12; i++) statuses.push((await request(null)).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
  });
});

describe("rate limit resolution", () => {
  const row = (key: string, burst: number): StoredLimit => ({
    key,
    capacity: 100,
    refill_per_hour: 100,
    burst_per_second: burst,
    updated_at: 0,
    updated_by: "t",
  });
  const rows = [row("default", 5), row("publish:*", 6), row("publish:bots:*", 7), row("publish:alice", 8)];

  it("should prefer the exact key, then the longest prefix, then 'default', then the seed", ({ expect }) => {
    expect(resolveLimits(rows, "publish:alice")).toMatchObject({ burst_per_second: 8, source: "publish:alice" });
    expect(resolveLimits(rows, "publish:bots:x")).toMatchObject({ burst_per_second: 7, source: "publish:bots:*" });
    expect(resolveLimits(rows, "publish:bob")).toMatchObject({ burst_per_second: 6, source: "publish:*" });
    expect(resolveLimits(rows, "chat:bob")).toMatchObject({ burst_per_second: 5, source: "default" });
    expect(resolveLimits([], "chat:bob")).toMatchObject({ ...SEED_LIMITS, source: "seed" });
  });

  it("should see a change made elsewhere once its cached copy is 2 s old, not before", async ({ expect }) => {
    const key = uniqueId("cached");
    const t = Date.now() + 60_000; // past any snapshot other tests left behind
    expect(await limitsFor(env, key, t)).toMatchObject({ burst_per_second: 10 });
    // Written straight to D1, as another isolate's PUT would be: this isolate's cache is not told.
    await env.DB.prepare(
      "INSERT INTO rate_limits (key, capacity, refill_per_hour, burst_per_second, updated_at, updated_by) VALUES (?, 100, 100, 4, 0, 'test')",
    )
      .bind(key)
      .run();
    expect(await limitsFor(env, key, t + LIMITS_CACHE_MS - 1)).toMatchObject({ burst_per_second: 10 });
    expect(await limitsFor(env, key, t + LIMITS_CACHE_MS)).toMatchObject({ burst_per_second: 4, source: key });
    forgetLimits(); // the snapshot above is dated a minute ahead; later tests run in the present
  });
});

describe("PUT/GET /api/v1/config/rate_limits", () => {
  it("should store limits in the seed's shape and show them, with the defaults, on GET", async ({ expect }) => {
    const auth = await ADMIN();
    const key = uniqueId("cfg");
    const limits = [
      { key, strategy: "token_bucket", capacity: 50, refill_rate: "2/minute", burst_capacity: 5 },
      { key: `${key}:*`, capacity: 20, refill_rate: 30, burst_capacity: 2 },
    ];
    const put = await call(PATH, { method: "PUT", token: auth, body: { limits } });
    expect(put.status).toBe(200);
    const res = await call(PATH, { token: auth });
    expect(res.status).toBe(200);
    const body = await json<{
      defaults: Record<string, unknown>;
      limits: Record<string, unknown>[];
      propagation_ms: number;
    }>(res);
    expect(body.defaults).toMatchObject({
      key: "default",
      capacity: 100,
      refill_rate: "100/hour",
      burst_capacity: 10,
      source: "seed",
    });
    expect(body.propagation_ms).toBe(LIMITS_CACHE_MS);
    expect(body.limits).toContainEqual(
      expect.objectContaining({
        key,
        capacity: 50,
        refill_rate: "2/minute",
        refill_per_hour: 120,
        burst_capacity: 5,
        updated_by: "tester",
      }),
    );
    expect(body.limits).toContainEqual(
      expect.objectContaining({ key: `${key}:*`, capacity: 20, refill_rate: "30/hour", burst_capacity: 2 }),
    );
  });

  it("should put a lowered burst in force on the next requests", async ({ expect }) => {
    const key = uniqueId("publish:lowered");
    const request = limitedApp("lowered");
    await inLimiter(key, T0, () => undefined);
    const before = await request(key);
    expect(before.headers.get("RateLimit-Limit")).toBe("10");

    const put = await call(PATH, {
      method: "PUT",
      token: await ADMIN(),
      body: { limits: [{ key, capacity: 100, refill_rate: "100/hour", burst_capacity: 3 }] },
    });
    expect(put.status).toBe(200);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await request(key)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it("should answer 401 without credentials and 403 without the admin scope", async ({ expect }) => {
    const body = { limits: [{ key: "k", capacity: 1, refill_rate: 1, burst_capacity: 1 }] };
    expect((await call(PATH, { method: "PUT", body })).status).toBe(401);
    expect((await call(PATH)).status).toBe(401);
    const events = await token(["events:publish", "metrics:read"]);
    expect((await call(PATH, { method: "PUT", body, token: events })).status).toBe(403);
    expect((await call(PATH, { token: events })).status).toBe(403);
  });

  const valid = { key: "k", capacity: 100, refill_rate: "100/hour", burst_capacity: 10 };
  const badInputs: [string, unknown, string][] = [
    ["an unknown refill unit", { limits: [{ ...valid, refill_rate: "5/fortnight" }] }, "body.limits.0.refill_rate"],
    ["a fractional refill", { limits: [{ ...valid, refill_rate: 1.5 }] }, "body.limits.0.refill_rate"],
    ["a zero rate", { limits: [{ ...valid, refill_rate: "0/second" }] }, "body.limits.0.refill_rate"],
    ["a zero capacity", { limits: [{ ...valid, capacity: 0 }] }, "body.limits.0.capacity"],
    ["an absurd burst", { limits: [{ ...valid, burst_capacity: 10_000_000 }] }, "body.limits.0.burst_capacity"],
    ["another strategy", { limits: [{ ...valid, strategy: "leaky_bucket" }] }, "body.limits.0.strategy"],
    ["a '*' inside a key", { limits: [{ ...valid, key: "a*b" }] }, "body.limits.0.key"],
    ["a key given twice", { limits: [valid, valid] }, "body.limits.1.key"],
    ["no limits", { limits: [] }, "body.limits"],
  ];
  for (const [what, body, field] of badInputs) {
    it(`should answer 400 naming ${field} for ${what}`, async ({ expect }) => {
      const res = await call(PATH, { method: "PUT", token: await ADMIN(), body });
      expect(res.status).toBe(400);
      const err = await json<{ error: { code: string; message: string; details: { issues: { field: string }[] } } }>(
        res,
      );
      expect(err.error.code).toBe("invalid_input");
      expect(err.error.details.issues.map((i) => i.field)).toContain(field);
    });
  }
});
