/**
 * The JimBot strategy advisor (seed 002's ClaudeAdvisor) through the Worker's entry: synchronous answers from the
 * `strategy` JSON function against a fake model, the strategy cache (hits, age, invalidation), the 5 s deadline
 * with a slow model (a clean timeout, cached advice flagged when there is some), and the bus path
 * `strategy.request` → `strategy.response` with the same correlation_id.
 */
import { describe, it } from "vitest";
import { responseEventId } from "../../workers/jimbot/advisor/bus-handler";
import { createEvent } from "../../workers/platform/bus/envelope";
import { ADMIN, call, json, token, uniqueId } from "./helpers";
import { eventsOf, situation, useStrategyModel } from "./jimbot-support";
import { recorded } from "./provider-fixtures";
import { deliverToBus } from "./support/queue";

const TAG = uniqueId("advisor");
const FAST = `echo~${TAG}`;
const SLOW = `fake-slow-first-token-1500~${TAG}`;

interface StrategyAnswer {
  status: string;
  source: string;
  fingerprint: string;
  strategy: { strategy_name: string; recommended_action: string; reasoning: string; confidence: number } | null;
  refusal: { reason: string; message: string; retry_after_ms: number } | null;
  cache_age_s: number | null;
  served: { variant: string; provider: string; model: string } | null;
}

async function ask(body: unknown): Promise<Response> {
  return call("/api/v1/strategies", { token: await token(["models:infer"]), body });
}

describe("POST /api/v1/strategies", () => {
  it("should answer from the strategy function, then serve the situation from the cache", async ({ expect }) => {
    await useStrategyModel(FAST);
    const first = await ask(situation(1));
    expect(first.status).toBe(200);
    const a = await json<StrategyAnswer>(first);
    expect(a.status).toBe("answered");
    expect(a.source).toBe("model");
    expect(a.refusal).toBeNull();
    expect(a.served).toEqual({ variant: "only", provider: "fake_openai", model: FAST });
    expect(a.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    // The fake answers a JSON instance of the schema: numbers are the input's word count (clamped to 1).
    expect(a.strategy?.confidence).toBe(1);
    expect(typeof a.strategy?.strategy_name).toBe("string");

    // The same situation in another game is the same question: served from the cache, the model not asked.
    const before = (await recorded(FAST)).length;
    const again = await ask(situation(1, { game_state: { ...situation(1).game_state, game_id: "another" } }));
    const b = await json<StrategyAnswer>(again);
    expect(b.source).toBe("cache");
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(b.strategy).toEqual(a.strategy);
    expect(b.refusal).toBeNull();
    expect((await recorded(FAST)).length).toBe(before);

    const read = await token(["models:read"]);
    await expect
      .poll(async () => {
        const res = await call("/api/v1/strategies/cache", { token: read });
        const list = await json<{ entries: { fingerprint: string; hits: number; age_s: number }[] }>(res);
        return list.entries.find((e) => e.fingerprint === a.fingerprint)?.hits;
      })
      .toBe(1);
  });

  it("should ask the model again when max_age_s is 0", async ({ expect }) => {
    await useStrategyModel(FAST);
    await ask(situation(2));
    const before = (await recorded(FAST)).length;
    const res = await ask({ ...situation(2), max_age_s: 0 });
    expect((await json<StrategyAnswer>(res)).source).toBe("model");
    expect((await recorded(FAST)).length).toBe(before + 1);
  });

  it("should answer 504 strategy_timeout when the model is slower than the deadline and nothing is cached", async ({
    expect,
  }) => {
    await useStrategyModel(SLOW);
    const res = await ask({ ...situation(3), timeout_ms: 200 });
    expect(res.status).toBe(504);
    const body = await json<{ error: { code: string; message: string; details: StrategyAnswer } }>(res);
    expect(body.error.code).toBe("strategy_timeout");
    expect(body.error.message).toBe("no answer from strategy within 200 ms");
    expect(body.error.details.status).toBe("refused");
    expect(body.error.details.refusal?.reason).toBe("timeout");
  });

  it("should serve the cached strategy, flagged with the timeout, when the model is too slow", async ({ expect }) => {
    await useStrategyModel(FAST);
    const cached = await json<StrategyAnswer>(await ask(situation(4)));
    await useStrategyModel(SLOW);
    const res = await ask({ ...situation(4), max_age_s: 0, timeout_ms: 200 });
    expect(res.status).toBe(200);
    const body = await json<StrategyAnswer>(res);
    expect(body.source).toBe("cache");
    expect(body.strategy).toEqual(cached.strategy);
    expect(body.refusal?.reason).toBe("timeout");
  });

  it("should refuse a body that is not a StrategyRequest with 400 naming the field", async ({ expect }) => {
    const res = await ask({ game_state: { ante: "three" } });
    expect(res.status).toBe(400);
    const body = await json<{ error: { code: string; message: string } }>(res);
    expect(body.error.code).toBe("invalid_input");
    expect(body.error.message).toContain("game_state.ante");
    const tooLong = await ask({ ...situation(5), timeout_ms: 5001 });
    expect(tooLong.status).toBe(400);
  });
});

describe("/api/v1/strategies/cache", () => {
  it("should invalidate one situation, then all, and 404 an unknown fingerprint", async ({ expect }) => {
    await useStrategyModel(FAST);
    const one = await json<StrategyAnswer>(await ask(situation(6)));
    await ask(situation(7));
    const admin = await ADMIN();
    const del = await call(`/api/v1/strategies/cache/${one.fingerprint}`, { method: "DELETE", token: admin });
    expect(del.status).toBe(200);
    expect(await json(del)).toEqual({ deleted: 1 });
    const gone = await call(`/api/v1/strategies/cache/${one.fingerprint}`, { method: "DELETE", token: admin });
    expect(gone.status).toBe(404);
    const all = await call("/api/v1/strategies/cache", { method: "DELETE", token: admin });
    expect(all.status).toBe(200);
    const list = await call("/api/v1/strategies/cache", { token: await token(["models:read"]) });
    expect(await json(list)).toEqual({ entries: [], total: 0 });
    const bad = await call("/api/v1/strategies/cache/not-hex", { method: "DELETE", token: admin });
    expect(bad.status).toBe(400);
  });
});

describe("strategy.request on the bus", () => {
  function request(payload: unknown) {
    return createEvent({ type: "strategy.request", source: "jimbot_test", payload, correlationId: uniqueId("corr") });
  }

  it("should publish a strategy.response with the same correlation_id and the advice", async ({ expect }) => {
    await useStrategyModel(FAST);
    const event = request(situation(10));
    const { outcomes } = await deliverToBus([event]);
    expect(outcomes).toEqual(["acked"]);
    const [response] = await eventsOf(expect, "strategy.response", (e) => e.correlation_id === event.correlation_id);
    expect(response?.event_id).toBe(await responseEventId(event.event_id));
    expect(response?.source).toBe("claude_advisor");
    expect(response?.metadata.request_event_id).toBe(event.event_id);
    expect(response?.payload).toMatchObject({ status: "answered", source: "model", refusal: null });
  });

  it("should publish a timeout response, not silence, when the model is too slow", async ({ expect }) => {
    await useStrategyModel(SLOW);
    const event = request({ ...situation(11), timeout_ms: 200 });
    await deliverToBus([event]);
    const [response] = await eventsOf(expect, "strategy.response", (e) => e.correlation_id === event.correlation_id);
    expect(response?.payload).toMatchObject({
      status: "refused",
      source: "none",
      strategy: null,
      refusal: { reason: "timeout", message: "no answer from strategy within 200 ms", retry_after_ms: 0 },
    });
  });

  it("should answer a malformed request with an invalid_request refusal once, even when redelivered", async ({
    expect,
  }) => {
    const event = request({ game_state: "not a state" });
    await deliverToBus([event]);
    await deliverToBus([event]);
    const responses = await eventsOf(expect, "strategy.response", (e) => e.correlation_id === event.correlation_id);
    expect(responses.length).toBe(1);
    expect(responses[0]?.payload).toMatchObject({
      status: "refused",
      refusal: {
        reason: "invalid_request",
        message: "payload.game_state: Invalid input: expected object, received string",
      },
    });
  });
});
