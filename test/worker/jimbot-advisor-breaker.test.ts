/**
 * The strategy advisor behind the seed's `claude_advisor` circuit breaker (3 failures, 60 s): after three failed
 * model calls the model is no longer asked; a cached strategy is served flagged `circuit_open`, and with none
 * the answer is 503 with Retry-After. The breaker stays open for 60 s, so it has a file of its own.
 */
import { describe, it } from "vitest";
import { call, json, token, uniqueId } from "./helpers";
import { situation, useStrategyModel } from "./jimbot-support";
import { recorded } from "./provider-fixtures";

const TAG = uniqueId("breaker");
const FAST = `echo~${TAG}`;
const FAILING = `fake-500~${TAG}`;

interface ErrorAnswer {
  error: { code: string; message: string; details: { refusal: { reason: string; retry_after_ms: number } } };
}

async function ask(body: unknown): Promise<Response> {
  return call("/api/v1/strategies", { token: await token(["models:infer"]), body });
}

describe("POST /api/v1/strategies behind the claude_advisor breaker", () => {
  it("should open the claude_advisor breaker after 3 failures and then serve the cache or 503", async ({ expect }) => {
    await useStrategyModel(FAST);
    expect((await ask(situation(200))).status).toBe(200);
    await useStrategyModel(FAILING);
    for (const n of [201, 202, 203]) {
      const res = await ask(situation(n));
      expect(res.status).toBe(503);
      expect((await json<ErrorAnswer>(res)).error.code).toBe("model_error");
    }
    expect((await recorded(FAILING)).length).toBe(3);

    const open = await ask(situation(204));
    expect(open.status).toBe(503);
    const body = await json<ErrorAnswer>(open);
    expect(body.error.code).toBe("circuit_open");
    expect(body.error.details.refusal.retry_after_ms).toBeGreaterThan(55_000);
    expect(Number(open.headers.get("retry-after"))).toBeGreaterThan(55);
    // Refused before the model was asked.
    expect((await recorded(FAILING)).length).toBe(3);

    const cached = await ask({ ...situation(200), max_age_s: 0 });
    expect(cached.status).toBe(200);
    expect(await json(cached)).toMatchObject({ source: "cache", refusal: { reason: "circuit_open" } });
  });
});
