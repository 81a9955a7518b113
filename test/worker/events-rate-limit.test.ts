/**
 * The publish rate limit through `POST /api/v1/events` itself: a limit stored with
 * `PUT /api/v1/config/rate_limits` for one principal's `publish:<sub>` key is in force on that principal's very
 * next publishes, refuses them with 429 in the error shape once spent, and leaves every other principal alone.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, it } from "vitest";
import type { RateLimiter } from "../../durable-objects/rate-limiter";
import { forgetLimits } from "../../workers/platform/rate-limit/limits";
import { flushNow } from "../../workers/platform/metrics/recorder";
import { ADMIN, call, json, token, uniqueId } from "./helpers";
import { stopClock } from "./support/clock";

const limiter = (key: string) => env.RATE_LIMITER.getByName(key);

/** Stops (or, with null, restarts) a key's limiter clock, so no token refills however slow the machine is. */
const limiterClock = (key: string, at: number | null) => stopClock(limiter(key), at);

function publish(auth: string, source: string, n: number): Promise<Response> {
  return call("/api/v1/events", { token: auth, body: { type: "test.ratelimit.v1", source, payload: { n } } });
}

describe("POST /api/v1/events rate limit", () => {
  it("should accept exactly the configured 3, then answer 429 with Retry-After, and spare another principal", async ({
    expect,
  }) => {
    const sub = uniqueId("limited");
    const other = `${sub}-b`; // shares the prefix, not the key: an exact key must not catch it
    const key = `publish:${sub}`;
    const otherKey = `publish:${other}`;
    const source = uniqueId("rate-limit-source");
    const T0 = Date.now();
    try {
      await limiterClock(key, T0);
      await limiterClock(otherKey, T0);
      const put = await call("/api/v1/config/rate_limits", {
        method: "PUT",
        token: await ADMIN(),
        // 3 an hour: the sustained bucket, empty after 3, is the one that refuses (20 min to the next token).
        body: { limits: [{ key, capacity: 3, refill_rate: "3/hour", burst_capacity: 3 }] },
      });
      expect(put.status).toBe(200);

      const auth = await token(["events:publish"], { sub });
      const responses: Response[] = [];
      for (let n = 0; n < 10; n++) {
        const res = await publish(auth, source, n);
        responses.push(res);
        if (res.status === 429) break;
      }
      expect(responses.map((r) => r.status)).toEqual([202, 202, 202, 429]);
      const accepted = responses.slice(0, 3);
      expect(accepted.map((r) => r.headers.get("RateLimit-Limit"))).toEqual(["3", "3", "3"]);
      expect(accepted.map((r) => r.headers.get("RateLimit-Remaining"))).toEqual(["2", "1", "0"]);

      const refused = responses[3] as Response;
      expect(refused.headers.get("Retry-After")).toBe("1200");
      expect(refused.headers.get("RateLimit-Limit")).toBe("3");
      expect(refused.headers.get("RateLimit-Remaining")).toBe("0");
      expect(refused.headers.get("content-type")).toContain("application/json");
      expect(await json(refused)).toEqual({
        error: {
          code: "rate_limited",
          message: "rate limit 'publish' exceeded (sustained bucket of 3); retry in 1200 s",
          details: { limit: "publish", retry_after_ms: 1_200_000 },
        },
      });

      // Another principal still has the seed's limits (burst 10) and a full bucket of its own.
      const spared = await publish(await token(["events:publish"], { sub: other }), source, 100);
      expect(spared.status).toBe(202);
      expect(spared.headers.get("RateLimit-Limit")).toBe("10");
      expect(spared.headers.get("RateLimit-Remaining")).toBe("9");

      // The refused event went nowhere: history holds the three accepted ones and the other principal's.
      const read = await token(["events:read"]);
      await expect
        .poll(
          async () => {
            const page = await json<{ events: { payload: { n: number } }[] }>(
              await call(`/api/v1/events?source=${source}`, { token: read }),
            );
            return page.events.map((e) => e.payload.n).sort((a, b) => a - b);
          },
          { timeout: 10_000 },
        )
        .toEqual([0, 1, 2, 100]);

      await flushNow(env);
      await expect
        .poll(async () => (await call("/metrics", { token: await token(["metrics:read"]) })).text(), {
          timeout: 5_000,
        })
        .toContain('botplane_rate_limited_total{limit="publish"} 1\n');
    } finally {
      await env.DB.prepare("DELETE FROM rate_limits WHERE key = ?").bind(key).run();
      forgetLimits();
      for (const k of [key, otherKey]) {
        await limiterClock(k, null);
        await runInDurableObject(limiter(k), (_: RateLimiter, state) => {
          state.storage.sql.exec("DELETE FROM buckets");
        });
      }
    }
  });
});
