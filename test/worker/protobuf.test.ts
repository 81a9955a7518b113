/**
 * Protocol Buffers bodies (workers/bus/protobuf.ts): binary seed Events decode to the JSON envelope input with
 * the seed's field names, Any payloads resolve through the registry, bad bytes are 400s naming the field.
 * Running in workerd (no eval) proves the generated code needs no runtime code generation.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { anyPack, StructSchema } from "@bufbuild/protobuf/wkt";
import { describe, it } from "vitest";
import { normalizeEvent } from "../../workers/bus/normalize";
import { decodeEventProto, encodeEventProto } from "../../workers/bus/protobuf";
import {
  ErrorEvent_ErrorSeverity,
  ErrorEventSchema,
  EventSchema,
  EventType,
  GameStateEventSchema,
  LearningDecisionRequestSchema,
  RecoveryAction,
} from "../../workers/bus/proto/gen/jimbot/events/v1/events_pb";
import { AppError } from "../../workers/platform/errors";

const EVENT_ID = "0b6f3c1e-7d2a-4c5b-9e8f-1a2b3c4d5e6f";

function eventBytes(init: MessageInitShape<typeof EventSchema>): Uint8Array {
  return toBinary(EventSchema, create(EventSchema, init));
}

function gameState() {
  return create(GameStateEventSchema, {
    gameId: "seed_12345",
    ante: 3,
    round: 2,
    handNumber: 1,
    jokers: [{ name: "Joker", rarity: "common", position: 0, properties: { mult: "4" } }],
    hand: [
      { suit: "Hearts", rank: "A", enhancement: "glass", seal: "red", edition: "foil" },
      { suit: "Spades", rank: "10" },
    ],
    chips: 300,
    mult: 4,
    money: 15,
    handSize: 8,
    handsRemaining: 3,
    discardsRemaining: 2,
    shopItems: { "Planet Card": 3 },
    scoreHistory: { "1": 150.5, "2": 300 },
  });
}

function decodeError(bytes: Uint8Array): AppError {
  try {
    decodeEventProto(bytes);
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error("decoded without error");
}

describe("decodeEventProto", () => {
  it("should decode a GameStateEvent payload with the seed's field names and values", async ({ expect }) => {
    const bytes = eventBytes({
      eventId: EVENT_ID,
      correlationId: "corr-1",
      type: EventType.GAME_STATE,
      source: "BalatroMCP",
      timestamp: { seconds: 1_700_000_000n, nanos: 123_456_789 },
      version: 2,
      metadata: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
      payload: anyPack(GameStateEventSchema, gameState()),
    });
    expect(decodeEventProto(bytes)).toEqual({
      event_id: EVENT_ID,
      correlation_id: "corr-1",
      type: "GAME_STATE",
      source: "BalatroMCP",
      timestamp: "2023-11-14T22:13:20.123Z",
      version: 2,
      metadata: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
      payload: {
        game_id: "seed_12345",
        ante: 3,
        round: 2,
        hand_number: 1,
        jokers: [{ name: "Joker", rarity: "common", position: 0, properties: { mult: "4" } }],
        hand: [
          { suit: "Hearts", rank: "A", enhancement: "glass", seal: "red", edition: "foil" },
          { suit: "Spades", rank: "10", enhancement: "", seal: "", edition: "" },
        ],
        deck: [],
        chips: 300,
        mult: 4,
        money: 15,
        hand_size: 8,
        hands_remaining: 3,
        discards_remaining: 2,
        shop_items: { "Planet Card": 3 },
        score_history: { "1": 150.5, "2": 300 },
      },
    });
  });

  it("should truncate the timestamp to milliseconds, not round into the next second", async ({ expect }) => {
    const bytes = eventBytes({
      source: "s",
      timestamp: { seconds: 1_700_000_000n, nanos: 999_999_999 },
      payload: anyPack(GameStateEventSchema, gameState()),
    });
    expect(decodeEventProto(bytes).timestamp).toBe("2023-11-14T22:13:20.999Z");
  });

  it("should leave proto3 zero values of envelope scalars out so the JSON path's defaults apply", async ({
    expect,
  }) => {
    const decoded = decodeEventProto(
      eventBytes({ type: EventType.HEARTBEAT, payload: anyPack(StructSchema, create(StructSchema)) }),
    );
    expect(decoded).toEqual({ type: "HEARTBEAT", metadata: {}, payload: {} });
  });

  it("should decode a LearningDecisionRequest with its nested game state and context", async ({ expect }) => {
    const request = create(LearningDecisionRequestSchema, {
      requestId: "req-1",
      gameState: gameState(),
      availableActions: ["play_hand", "discard"],
      timeLimitMs: 100,
      context: { recentActions: ["discard"], currentScore: 150.5, targetScore: 300, strategyHint: "flush" },
    });
    const decoded = decodeEventProto(
      eventBytes({
        eventId: EVENT_ID,
        type: EventType.LEARNING_DECISION,
        source: "ray",
        payload: anyPack(LearningDecisionRequestSchema, request),
      }),
    );
    expect(decoded.type).toBe("LEARNING_DECISION");
    expect(decoded.payload).toMatchObject({
      request_id: "req-1",
      available_actions: ["play_hand", "discard"],
      time_limit_ms: 100,
      context: { recent_actions: ["discard"], current_score: 150.5, target_score: 300, strategy_hint: "flush" },
      game_state: {
        game_id: "seed_12345",
        jokers: [{ name: "Joker", properties: { mult: "4" } }],
        shop_items: { "Planet Card": 3 },
      },
    });
  });

  it("should decode an ErrorEvent with enum names, including zero-valued ones", async ({ expect }) => {
    const error = create(ErrorEventSchema, {
      errorId: "err-1",
      sourceComponent: "claude_advisor",
      severity: ErrorEvent_ErrorSeverity.CRITICAL,
      message: "quota exhausted",
      context: { provider: "anthropic" },
      affectedComponents: ["claude_advisor", "ray"],
      suggestedAction: RecoveryAction.RETRY,
    });
    const decoded = decodeEventProto(
      eventBytes({
        eventId: EVENT_ID,
        type: EventType.ERROR,
        source: "bus",
        payload: anyPack(ErrorEventSchema, error),
      }),
    );
    expect(decoded.payload).toEqual({
      error_id: "err-1",
      source_component: "claude_advisor",
      severity: "CRITICAL",
      message: "quota exhausted",
      stack_trace: "",
      context: { provider: "anthropic" },
      affected_components: ["claude_advisor", "ray"],
      suggested_action: "RETRY",
    });
  });

  it("should produce an envelope the publish path's normaliser accepts", async ({ expect }) => {
    const error = create(ErrorEventSchema, {
      errorId: "err-2",
      sourceComponent: "bus",
      severity: ErrorEvent_ErrorSeverity.INFO,
      message: "m",
    });
    const decoded = decodeEventProto(
      eventBytes({ type: EventType.ERROR, source: "bus", payload: anyPack(ErrorEventSchema, error) }),
    );
    const normalized = normalizeEvent(decoded, {
      prefix: undefined,
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      now: 0,
      at: "body",
    });
    expect(normalized).toMatchObject({
      ok: true,
      event: { type: "errors.bus", version: 1, payload: { severity: "INFO" } },
    });
  });

  it("should reject an unknown type_url with 400 naming payload.type_url", async ({ expect }) => {
    const err = decodeError(
      eventBytes({
        source: "s",
        payload: { typeUrl: "type.googleapis.com/jimbot.events.v1.NoSuchEvent", value: new Uint8Array() },
      }),
    );
    expect([err.status, err.code]).toEqual([400, "invalid_protobuf"]);
    expect(err.message).toMatch(/^payload\.type_url: .*NoSuchEvent/);
  });

  it("should reject a seed message under another EventType with 400 naming payload.type_url", async ({ expect }) => {
    const err = decodeError(
      eventBytes({
        type: EventType.GAME_STATE,
        payload: anyPack(ErrorEventSchema, create(ErrorEventSchema, { errorId: "e" })),
      }),
    );
    expect([err.status, err.code]).toEqual([400, "invalid_protobuf"]);
    expect(err.message).toBe("payload.type_url: GAME_STATE events do not carry jimbot.events.v1.ErrorEvent");
  });

  it("should reject a missing payload with 400 naming payload", async ({ expect }) => {
    const err = decodeError(eventBytes({ eventId: EVENT_ID, source: "s" }));
    expect([err.status, err.code]).toEqual([400, "invalid_protobuf"]);
    expect(err.message).toMatch(/^payload: required/);
  });

  it("should reject garbage bytes with 400 naming the body", async ({ expect }) => {
    const err = decodeError(new Uint8Array([0xff, 0xff, 0xff, 0xff]));
    expect([err.status, err.code]).toEqual([400, "invalid_protobuf"]);
    expect(err.message).toMatch(/^body: not a jimbot\.events\.v1\.Event/);
  });

  it("should reject a truncated payload value with 400 naming payload.value", async ({ expect }) => {
    const value = toBinary(GameStateEventSchema, gameState()).slice(0, 5);
    const err = decodeError(
      eventBytes({ payload: { typeUrl: "type.googleapis.com/jimbot.events.v1.GameStateEvent", value } }),
    );
    expect([err.status, err.code]).toEqual([400, "invalid_protobuf"]);
    expect(err.message).toMatch(/^payload\.value: not a jimbot\.events\.v1\.GameStateEvent/);
  });

  it("should reject a timestamp past year 9999 with 400 naming timestamp, not a 500 from Date", async ({ expect }) => {
    const err = decodeError(
      eventBytes({ timestamp: { seconds: 253_402_300_800n }, payload: anyPack(GameStateEventSchema, gameState()) }),
    );
    expect([err.status, err.code]).toEqual([400, "invalid_protobuf"]);
    expect(err.message).toMatch(/^timestamp: out of range/);
  });

  it("should reject an EventType number outside the seed's enum with 400 naming type", async ({ expect }) => {
    const err = decodeError(
      eventBytes({ type: 42 as EventType, payload: anyPack(StructSchema, create(StructSchema)) }),
    );
    expect(err.message).toBe("type: unknown EventType 42");
  });
});

describe("encodeEventProto", () => {
  it("should round-trip an envelope through the binary form", async ({ expect }) => {
    const envelope = {
      event_id: EVENT_ID,
      correlation_id: "corr-9",
      type: "GAME_STATE" as const,
      source: "BalatroMCP",
      timestamp: "2024-05-01T12:34:56.789Z",
      version: 1,
      metadata: { k: "v" },
      payload: {
        game_id: "g",
        ante: 1,
        jokers: [{ name: "Joker", properties: { a: "b" } }],
        shop_items: { x: 2 },
        score_history: { "1": 0.5 },
      },
    };
    const decoded = decodeEventProto(encodeEventProto(envelope));
    expect({ ...decoded, payload: undefined }).toEqual({ ...envelope, payload: undefined });
    expect(decoded.payload).toMatchObject({
      game_id: "g",
      ante: 1,
      round: 0,
      jokers: [{ name: "Joker", rarity: "", properties: { a: "b" } }],
      shop_items: { x: 2 },
      score_history: { "1": 0.5 },
    });
  });

  it("should map a canonical subject to its EventType and keep extra payload keys by sending a Struct", async ({
    expect,
  }) => {
    const payload = { game_id: "g", shop_items: { jokers: ["Blueprint"] }, balatro_extra: true };
    const decoded = decodeEventProto(
      encodeEventProto({ type: "game.state", source: "BalatroMCP", timestamp: 1_714_566_896_789, payload }),
    );
    expect(decoded).toMatchObject({ type: "GAME_STATE", timestamp: "2024-05-01T12:34:56.789Z", payload });
  });

  it("should refuse a payload that does not fit an explicit payloadType with 406 naming payload", async ({
    expect,
  }) => {
    let caught: unknown;
    try {
      encodeEventProto(
        { type: "ERROR", payload: { error_id: "e", nonsense: 1 } },
        { payloadType: "jimbot.events.v1.ErrorEvent" },
      );
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect(caught).toMatchObject({
      status: 406,
      code: "not_representable",
      message: expect.stringMatching(/^payload: not a jimbot\.events\.v1\.ErrorEvent/) as unknown,
    });
  });
});
