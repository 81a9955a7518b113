/**
 * POST /api/v1/events and GET /api/v1/events/{event_id}: both JSON forms, typed payloads, batches with a
 * result per event, size limits, the claim check (a 10 MB event round-trips intact) and the topic prefix.
 */
import { exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { ExpectStatic } from "vitest";
import { encodeEventProto } from "../../workers/bus/protobuf";
import { ADMIN, call, json, token } from "./helpers";

type ErrorBody = { error: { code: string; message: string; details?: { field?: string } } };
interface Stored {
  event_id: string;
  type: string;
  event_type: string | null;
  source: string;
  timestamp: string;
  correlation_id: string;
  metadata: Record<string, string>;
  payload: unknown;
  payload_ref?: string;
  extensions?: Record<string, unknown>;
}

const gameState = {
  game_id: "seed_12345",
  ante: 3,
  round: 2,
  chips: 300,
  mult: 4,
  money: 15,
  jokers: [{ name: "Joker", rarity: "common", position: 0 }],
  hand: [{ suit: "hearts", rank: "A" }],
  shop_items: { tarot: 2 },
};

async function stored(id: string, expect: ExpectStatic): Promise<Stored> {
  const auth = await token(["events:read"]);
  await expect
    .poll(async () => (await call(`/api/v1/events/${id}`, { token: auth })).status, { timeout: 10_000, interval: 50 })
    .toBe(200);
  return json<Stored>(await call(`/api/v1/events/${id}`, { token: auth }));
}

describe("POST /api/v1/events", () => {
  it("should accept the BalatroMCP form verbatim and normalise it", async ({ expect }) => {
    const event_id = crypto.randomUUID();
    const res = await call("/api/v1/events", {
      token: await token(["events:publish"]),
      body: {
        type: "GAME_STATE",
        source: "BalatroMCP",
        event_id,
        timestamp: 1234567890000,
        version: 1,
        payload: gameState,
        game_version: "1.0.1",
      },
    });
    expect(res.status).toBe(202);
    expect(await json(res)).toEqual({ event_id, type: "game.state", status: "accepted" });
    const event = await stored(event_id, expect);
    expect(event).toMatchObject({
      type: "game.state",
      event_type: "GAME_STATE",
      source: "BalatroMCP",
      timestamp: "2009-02-13T23:31:30.000Z",
      correlation_id: event_id,
      payload: gameState,
      extensions: { game_version: "1.0.1" },
    });
  });

  it("should accept the canonical form with a subject, ISO time and the topic prefix, carrying the trace", async ({
    expect,
  }) => {
    const traceparent = "00-11111111111111111111111111111111-2222222222222222-01";
    const res = await call("/api/v1/events", {
      token: await ADMIN(),
      headers: { traceparent },
      body: {
        type: "jimbot.botz.custom.v1",
        source: "tester",
        timestamp: "2026-01-02T03:04:05Z",
        correlation_id: "corr-1",
        payload: { a: 1 },
      },
    });
    expect(res.status).toBe(202);
    const { event_id, type } = await json<{ event_id: string; type: string }>(res);
    expect(type).toBe("botz.custom.v1");
    const event = await stored(event_id, expect);
    expect(event.timestamp).toBe("2026-01-02T03:04:05.000Z");
    expect(event.metadata.traceparent?.startsWith("00-11111111111111111111111111111111-")).toBe(true);
  });

  it("should reject a payload that does not match its type, naming the field", async ({ expect }) => {
    const res = await call("/api/v1/events", {
      token: await ADMIN(),
      body: { type: "GAME_STATE", source: "BalatroMCP", payload: { ...gameState, ante: "three" } },
    });
    expect(res.status).toBe(400);
    const body = await json<ErrorBody>(res);
    expect(body.error.code).toBe("invalid_payload");
    expect(body.error.message).toContain("body.payload.ante");
    const decision = await call("/api/v1/events", {
      token: await ADMIN(),
      body: {
        type: "LEARNING_DECISION",
        source: "ray",
        payload: { request_id: "r1", selected_action: "play", confidence: 7 },
      },
    });
    expect((await json<ErrorBody>(decision)).error.message).toContain("body.payload.confidence");
    const error = await call("/api/v1/events", {
      token: await ADMIN(),
      body: {
        type: "ERROR",
        source: "memgraph",
        payload: { error_id: "e", source_component: "memgraph", severity: "LOUD", message: "x" },
      },
    });
    expect((await json<ErrorBody>(error)).error.message).toContain("body.payload.severity");
  });

  it("should answer a batch with a result per event, accepting the good ones", async ({ expect }) => {
    const good = { type: "metrics.cpu", source: "pi", payload: { value: 1 } };
    const res = await call("/api/v1/events", {
      token: await ADMIN(),
      body: {
        events: [good, { type: "GAME_STATE", source: "x", payload: { chips: "many" } }, { source: "no-type" }, good],
      },
    });
    expect(res.status).toBe(200);
    const body = await json<{
      accepted: number;
      rejected: number;
      results: { status: string; error?: { field: string; message: string } }[];
    }>(res);
    expect(body).toMatchObject({ accepted: 2, rejected: 2 });
    expect(body.results.map((r) => r.status)).toEqual(["accepted", "rejected", "rejected", "accepted"]);
    expect(body.results[1]?.error?.message).toContain("body.events.1.payload.chips");
    expect(body.results[2]?.error?.message).toContain("body.events.2.type");
  });

  it("should accept a protobuf Event whose Any payload is a GameStateEvent", async ({ expect }) => {
    const event_id = crypto.randomUUID();
    const bytes = encodeEventProto(
      { event_id, type: "GAME_STATE", source: "BalatroMCP", timestamp: 1_714_566_896_789, payload: gameState },
      { payloadType: "jimbot.events.v1.GameStateEvent" },
    );
    const res = await exports.default.fetch("https://botplane.test/api/v1/events", {
      method: "POST",
      headers: { authorization: `Bearer ${await ADMIN()}`, "content-type": "application/x-protobuf" },
      body: bytes,
    });
    expect(res.status).toBe(202);
    const event = await stored(event_id, expect);
    expect(event).toMatchObject({ type: "game.state", timestamp: "2024-05-01T12:34:56.789Z" });
    expect(event.payload).toMatchObject({ game_id: "seed_12345", ante: 3, chips: 300, shop_items: { tarot: 2 } });
    const garbage = await exports.default.fetch("https://botplane.test/api/v1/events", {
      method: "POST",
      headers: { authorization: `Bearer ${await ADMIN()}`, "content-type": "application/x-protobuf" },
      body: new Uint8Array([0xff, 0xff, 0xff]),
    });
    expect(garbage.status).toBe(400);
  });

  it("should refuse more than 100 events, an over-large body and non-JSON", async ({ expect }) => {
    const auth = await ADMIN();
    const many = await call("/api/v1/events", {
      token: auth,
      body: { events: Array.from({ length: 101 }, () => ({ type: "a.b", source: "s" })) },
    });
    expect(many.status).toBe(400);
    expect((await json<ErrorBody>(many)).error.message).toContain("body.events");
    const huge = await call("/api/v1/events", {
      token: auth,
      body: JSON.stringify({ type: "a.b", source: "s", payload: "x".repeat(12 * 1024 * 1024 + 10) }),
    });
    expect(huge.status).toBe(413);
    const tooBigEvent = await call("/api/v1/events", {
      token: auth,
      body: { type: "a.b", source: "s", payload: "x".repeat(10 * 1024 * 1024 + 10) },
    });
    expect(tooBigEvent.status).toBe(413);
    expect((await json<ErrorBody>(tooBigEvent)).error.code).toBe("payload_too_large");
    const text = await call("/api/v1/events", {
      token: auth,
      body: "hello",
      headers: { "content-type": "text/plain" },
    });
    expect(text.status).toBe(415);
  });

  it("should round-trip a 10 MB event through the R2 claim check intact", async ({ expect }) => {
    const blob = Array.from(
      { length: 10 * 1024 },
      (_, i) => `${i.toString(36).padStart(4, "0")}${"abcdefgh".repeat(127)}`,
    ).join("");
    const res = await call("/api/v1/events", {
      token: await ADMIN(),
      body: { type: "media.frame.v1", source: "camera", payload: { blob } },
    });
    expect(res.status).toBe(202);
    const { event_id } = await json<{ event_id: string }>(res);
    const event = await stored(event_id, expect);
    expect((event.payload as { blob: string }).blob.length).toBe(blob.length);
    expect((event.payload as { blob: string }).blob === blob).toBe(true);
    const page = await json<{ events: Stored[] }>(
      await call(`/api/v1/events?subject=media.frame.v1`, { token: await ADMIN() }),
    );
    const row = page.events.find((e) => e.event_id === event_id);
    expect(row?.payload).toBeNull();
    expect(row?.payload_ref).toBe(`/api/v1/events/${event_id}`);
  });
});

describe("GET /api/v1/events/{event_id}", () => {
  it("should 404 an unknown event and 400 a malformed id", async ({ expect }) => {
    const auth = await token(["events:read"]);
    expect((await call(`/api/v1/events/${crypto.randomUUID()}`, { token: auth })).status).toBe(404);
    const bad = await call("/api/v1/events/not-a-uuid", { token: auth });
    expect(bad.status).toBe(400);
    expect((await json<ErrorBody>(bad)).error.message).toContain("param.event_id");
  });
});
