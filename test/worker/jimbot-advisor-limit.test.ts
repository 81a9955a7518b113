/**
 * The strategy advisor behind the seed's token bucket (key `claude_advisor`, set through
 * `PUT /api/v1/config/rate_limits`): once it is spent, a cached strategy is served flagged `rate_limited`, and
 * with none the answer is 429 with Retry-After. The bucket refills at 1/day, so it has a file of its own.
 */
import { describe, it } from "vitest";
import { call, json, token, uniqueId } from "./helpers";
import { setAdvisorLimit, situation, useStrategyModel } from "./jimbot-support";
import { recorded } from "./provider-fixtures";

const TAG = uniqueId("limit");
const FAST = `echo~${TAG}`;

interface ErrorAnswer {
  error: { code: string; message: string; details: { refusal: { reason: string; retry_after_ms: number } } };
}

async function ask(body: unknown): Promise<Response> {
  return call("/api/v1/strategies", { token: await token(["models:infer"]), body });
}

describe("POST /api/v1/strategies behind the claude_advisor rate limit", () => {
  it("should refuse with 429 and Retry-After once the bucket is spent, and serve the cache flagged", async ({
    expect,
  }) => {
    await useStrategyModel(FAST);
    await setAdvisorLimit(2, 10);
    expect((await ask(situation(100))).status).toBe(200);
    expect((await ask(situation(101))).status).toBe(200);
    const refused = await ask(situation(102));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = await json<ErrorAnswer>(refused);
    expect(body.error.code).toBe("rate_limited");
    expect(body.error.details.refusal.reason).toBe("rate_limited");

    const before = (await recorded(FAST)).length;
    const cached = await ask({ ...situation(100), max_age_s: 0 });
    expect(cached.status).toBe(200);
    expect(await json(cached)).toMatchObject({
      status: "answered",
      source: "cache",
      refusal: { reason: "rate_limited" },
    });
    expect((await recorded(FAST)).length).toBe(before);
  });
});
