/**
 * The JimBot decision service (seed 002's RayRLlib GetDecision / StreamDecisions) through the Worker's entry,
 * against the fake decision backend (test/worker/fake-upstreams/decisions.ts) under the test deadline of 1 s:
 * a fast backend answers; a slow, down or broken one is answered by the fallback policy (cached strategy,
 * configured default, first action), flagged and counted; the backend's breaker opens; the protobuf form; the
 * WebSocket stream; MAX_CONCURRENT_DECISIONS (5 in the tests) refusing the sixth with 503 and Retry-After.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, it } from "vitest";
import {
  LearningDecisionRequestSchema as RequestProto,
  LearningDecisionResponseSchema as ResponseProto,
} from "../../workers/jimbot/proto/gen/jimbot/events/v1/events_pb";
import { call, json, token, uniqueId } from "./helpers";
import { situation, useStrategyModel } from "./jimbot-support";

const ACTIONS = ["play_hand", "discard", "buy_joker"];

interface Decision {
  request_id: string;
  selected_action: string;
  confidence: number;
  action_values: Record<string, number>;
  used_llm: boolean;
  strategy_name: string;
  model_id: string;
  fallback: { reason: string; policy: string; message: string } | null;
}

function request(extra: Record<string, unknown> = {}) {
  return { request_id: uniqueId("req"), game_state: { ante: 2, round: 1 }, available_actions: ACTIONS, ...extra };
}

async function decide(model: string, body: unknown): Promise<Response> {
  return call(`/api/v1/decisions?model_id=${model}`, { token: await token(["models:infer"]), body });
}

/** The sample of one series on /metrics, or 0. */
async function sample(series: string): Promise<number> {
  const text = await (await call("/metrics", { token: await token(["metrics:read"]) })).text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.split(" ")[1]);
}

describe("POST /api/v1/decisions", () => {
  it("should answer with the fast backend's decision, unflagged, and count it", async ({ expect }) => {
    const series = 'jimbot_decisions_total{model="fast",outcome="backend"}';
    const before = await sample(series);
    const body = request();
    const res = await decide("fast", body);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      request_id: body.request_id,
      selected_action: "buy_joker",
      confidence: 0.9,
      action_values: { play_hand: 1 / 3, discard: 1 / 3, buy_joker: 1 / 3 },
      used_llm: false,
      strategy_name: "fake_ppo",
      model_id: "fast",
      fallback: null,
    });
    await expect.poll(() => sample(series), { timeout: 10_000 }).toBe(before + 1);
  });

  it("should fall back to the configured default when the backend misses the deadline", async ({ expect }) => {
    const series = 'jimbot_decisions_total{model="slow",outcome="fallback_deadline"}';
    const before = await sample(series);
    const res = await decide("slow", request());
    expect(res.status).toBe(200);
    const d = await json<Decision>(res);
    expect(d.selected_action).toBe("discard");
    expect(d.fallback).toEqual({
      reason: "deadline",
      policy: "configured_default",
      message: "no answer within 1000 ms",
    });
    await expect.poll(() => sample(series), { timeout: 10_000 }).toBe(before + 1);
  });

  it("should honour a shorter time_limit_ms from the request", async ({ expect }) => {
    const d = await json<Decision>(await decide("slow", request({ time_limit_ms: 50 })));
    expect(d.fallback?.message).toBe("no answer within 50 ms");
  });

  it("should fall back to the first action on offer when the backend is down and the default is not offered", async ({
    expect,
  }) => {
    const d = await json<Decision>(await decide("down", request({ available_actions: ["play_hand", "skip"] })));
    expect(d.selected_action).toBe("play_hand");
    expect(d.fallback).toEqual({ reason: "backend_error", policy: "first_action", message: "HTTP 503" });
  });

  it("should fall back to the advisor's cached strategy for the same situation", async ({ expect }) => {
    await useStrategyModel(`echo~${uniqueId("decide")}`);
    const s = situation(42);
    const advice = await call("/api/v1/strategies", {
      token: await token(["models:infer"]),
      body: { game_state: s.game_state },
    });
    expect(advice.status).toBe(200);
    const strategy = (await json<{ strategy: { recommended_action: string; strategy_name: string } }>(advice)).strategy;
    const d = await json<Decision>(await decide("nobody", { request_id: "r-cached", game_state: s.game_state }));
    expect(d.selected_action).toBe(strategy.recommended_action);
    expect(d.strategy_name).toBe(strategy.strategy_name);
    expect(d.used_llm).toBe(true);
    expect(d.fallback).toMatchObject({ reason: "no_backend", policy: "cached_strategy" });
  });

  it("should open the backend's breaker after the seed's 5 failures and fall back without calling it", async ({
    expect,
  }) => {
    for (let i = 0; i < 5; i++) {
      const d = await json<Decision>(await decide("garbage", request()));
      expect(d.fallback?.reason).toBe("backend_error");
    }
    const d = await json<Decision>(await decide("garbage", request()));
    expect(d.fallback).toMatchObject({ reason: "breaker_open", policy: "configured_default" });
  });

  it("should choose the configured default when the request offers no actions", async ({ expect }) => {
    const res = await decide("down", { request_id: "r-none", available_actions: [] });
    expect(await json(res)).toMatchObject({ selected_action: "discard", fallback: { policy: "configured_default" } });
  });

  it("should refuse bad input: no request_id, bad model_id, a text body, bad protobuf", async ({ expect }) => {
    const auth = await token(["models:infer"]);
    const missing = await decide("fast", { available_actions: ACTIONS });
    expect(missing.status).toBe(400);
    expect((await json<{ error: { message: string } }>(missing)).error.message).toContain("request_id");
    expect((await decide("bad model!", request())).status).toBe(400);
    const text = await call("/api/v1/decisions", {
      token: auth,
      body: "hello",
      headers: { "content-type": "text/plain" },
    });
    expect(text.status).toBe(415);
    const junk = await exportsFetch("/api/v1/decisions?model_id=fast", auth, new Uint8Array([0xff, 0xff, 0xff]));
    expect(junk.status).toBe(400);
    expect((await json<{ error: { code: string } }>(junk)).error.code).toBe("invalid_protobuf");
  });
});

async function exportsFetch(path: string, auth: string, bytes: Uint8Array): Promise<Response> {
  const { exports } = await import("cloudflare:workers");
  return exports.default.fetch(`https://botplane.test${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${auth}`, "content-type": "application/x-protobuf" },
    body: bytes,
  });
}

describe("POST /api/v1/decisions (protobuf)", () => {
  it("should decode a binary LearningDecisionRequest and answer a binary LearningDecisionResponse", async ({
    expect,
  }) => {
    const bytes = toBinary(
      RequestProto,
      create(RequestProto, { requestId: "r-proto", availableActions: ACTIONS, timeLimitMs: 500 }),
    );
    const res = await exportsFetch("/api/v1/decisions?model_id=fast", await token(["models:infer"]), bytes);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-protobuf");
    expect(res.headers.get("x-decision-fallback")).toBeNull();
    const answer = fromBinary(ResponseProto, new Uint8Array(await res.arrayBuffer()));
    expect(answer.requestId).toBe("r-proto");
    expect(answer.selectedAction).toBe("buy_joker");
    expect(answer.strategyName).toBe("fake_ppo");
  });

  it("should flag a fallback in the x-decision-fallback header", async ({ expect }) => {
    const bytes = toBinary(
      RequestProto,
      create(RequestProto, { requestId: "r-proto-down", availableActions: ACTIONS }),
    );
    const res = await exportsFetch("/api/v1/decisions?model_id=down", await token(["models:infer"]), bytes);
    expect(res.headers.get("x-decision-fallback")).toBe("backend_error; policy=configured_default");
    expect(fromBinary(ResponseProto, new Uint8Array(await res.arrayBuffer())).selectedAction).toBe("discard");
  });
});

describe("MAX_CONCURRENT_DECISIONS", () => {
  it("should refuse the decision beyond the limit with 503 and Retry-After while the others are answered", async ({
    expect,
  }) => {
    const results = await Promise.all(Array.from({ length: 6 }, () => decide("hold", request())));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 503]);
    const refused = results.find((r) => r.status === 503);
    expect(refused?.headers.get("retry-after")).toBe("1");
    expect((await json<{ error: { code: string } }>(refused ?? new Response("{}"))).error.code).toBe(
      "too_many_decisions",
    );
    // The slots are given back: the next one is admitted.
    expect((await decide("fast", request())).status).toBe(200);
  });
});

describe("GET /api/v1/decisions/stream", () => {
  it("should answer each JSON frame with its decision and a bad frame with an error", async ({ expect }) => {
    const res = await call("/api/v1/decisions/stream?model_id=fast", {
      token: await token(["models:infer"]),
      headers: { upgrade: "websocket" },
    });
    expect(res.status).toBe(101);
    const ws = res.webSocket;
    if (!ws) throw new Error("no socket");
    const frames: Record<string, unknown>[] = [];
    ws.addEventListener("message", (e) => {
      frames.push(JSON.parse(String(e.data)) as Record<string, unknown>);
    });
    ws.accept();
    ws.send(JSON.stringify({ request_id: "s-1", available_actions: ACTIONS }));
    ws.send(JSON.stringify({ request_id: "s-2", available_actions: ["play_hand"] }));
    ws.send("not json");
    await expect.poll(() => frames.length, { timeout: 10_000 }).toBe(3);
    const byId = new Map(frames.map((f) => [f.request_id, f]));
    expect(byId.get("s-1")).toMatchObject({ selected_action: "buy_joker", fallback: null });
    expect(byId.get("s-2")).toMatchObject({ selected_action: "play_hand", fallback: null });
    expect(byId.get("")).toEqual({ request_id: "", error: { code: "invalid_json", message: "frame: not JSON" } });
    ws.close(1000, "done");
  });

  it("should answer a binary protobuf frame with a binary LearningDecisionResponse", async ({ expect }) => {
    const res = await call("/api/v1/decisions/stream?model_id=fast", {
      token: await token(["models:infer"]),
      headers: { upgrade: "websocket" },
    });
    const ws = res.webSocket;
    if (!ws) throw new Error("no socket");
    const frames: unknown[] = [];
    ws.addEventListener("message", (e) => {
      frames.push(e.data);
    });
    ws.accept();
    ws.send(toBinary(RequestProto, create(RequestProto, { requestId: "s-bin", availableActions: ACTIONS })));
    await expect.poll(() => frames.length, { timeout: 10_000 }).toBe(1);
    const [frame] = frames;
    if (typeof frame === "string") throw new Error(`not binary: ${frame}`);
    // workerd hands an in-process pair's binary frames over as a Blob.
    const bytes = frame instanceof Blob ? await frame.arrayBuffer() : (frame as ArrayBuffer);
    const answer = fromBinary(ResponseProto, new Uint8Array(bytes));
    expect([answer.requestId, answer.selectedAction, answer.strategyName]).toEqual(["s-bin", "buy_joker", "fake_ppo"]);
    ws.close(1000, "done");
  });

  it("should answer 426 without an upgrade and 401 without a token", async ({ expect }) => {
    const plain = await call("/api/v1/decisions/stream", { token: await token(["models:infer"]) });
    expect(plain.status).toBe(426);
    const anon = await call("/api/v1/decisions/stream", { headers: { upgrade: "websocket" } });
    expect(anon.status).toBe(401);
    expect(anon.webSocket).toBeNull();
  });
});
