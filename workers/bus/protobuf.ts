/**
 * `application/x-protobuf` bodies: a binary seed `Event` (proto/jimbot/events/v1/events.proto, code generated
 * at build time by `npm run proto:generate`) to and from the JSON envelope input that `normalizeEvent`
 * validates. The `Any` payload is resolved through a registry of the seed's messages and rendered as proto3
 * JSON with the seed's snake_case field names, so a protobuf event and its JSON form validate identically.
 * workerd forbids eval, and @bufbuild/protobuf never uses it: the generated code embeds the descriptors.
 */
import { create, createRegistry, fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import type { DescMessage, JsonObject, JsonValue } from "@bufbuild/protobuf";
import { AnySchema, EmptySchema, StructSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import type { Any, Timestamp } from "@bufbuild/protobuf/wkt";
import { AppError } from "../platform/errors";
import {
  DecisionContextSchema,
  ErrorEventSchema,
  EventSchema,
  EventType,
  GameStateEventSchema,
  LearningDecisionRequestSchema,
  LearningDecisionResponseSchema,
  ResourceRequestSchema,
} from "./proto/gen/jimbot/events/v1/events_pb";
import type { Event } from "./proto/gen/jimbot/events/v1/events_pb";
import { eventTypeOf, isEventType } from "./subjects";
import type { EventType as EventTypeName } from "./subjects";

const TYPE_URL_PREFIX = "type.googleapis.com/";

/**
 * What an `Any` payload may hold: the seed's messages, plus Struct (any JSON object, e.g. a HEARTBEAT or
 * METRIC, or a payload with keys the typed message lacks) and Empty. Event itself is left out on purpose:
 * an event is not a payload.
 */
const PAYLOAD_TYPES = [
  GameStateEventSchema,
  LearningDecisionRequestSchema,
  LearningDecisionResponseSchema,
  DecisionContextSchema,
  ErrorEventSchema,
  ResourceRequestSchema,
  StructSchema,
  EmptySchema,
] as const;
const registry = createRegistry(...PAYLOAD_TYPES);

/**
 * The EventType each seed event message belongs to. Such a message is accepted under its own type only,
 * and those types accept only their messages or a Struct (checked by the JSON schemas like any JSON body).
 */
const OWNER = new Map<DescMessage, EventTypeName>([
  [GameStateEventSchema, "GAME_STATE"],
  [LearningDecisionRequestSchema, "LEARNING_DECISION"],
  [LearningDecisionResponseSchema, "LEARNING_DECISION"],
  [ErrorEventSchema, "ERROR"],
]);
const DECLARED_TYPES = new Set(OWNER.values());

function payloadFits(type: EventTypeName, schema: DescMessage): boolean {
  const owner = OWNER.get(schema);
  if (owner) return owner === type;
  return schema === StructSchema || !DECLARED_TYPES.has(type);
}

/**
 * The envelope input for the publish route. Proto3 cannot tell an unset scalar from its zero value, so
 * empty event_id / correlation_id / source, version 0 and an absent timestamp are left out: the JSON
 * path's defaults (new id, own correlation root, version 1, now) and required-field errors then apply.
 */
export interface DecodedEvent {
  event_id?: string;
  correlation_id?: string;
  type: EventTypeName;
  source?: string;
  timestamp?: string;
  version?: number;
  metadata: Record<string, string>;
  payload: JsonObject;
}

function invalid(message: string): AppError {
  return new AppError(400, "invalid_protobuf", message);
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// google.protobuf.Timestamp's valid range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z.
const MIN_SECONDS = -62135596800n;
const MAX_SECONDS = 253402300799n;

/** Truncates to milliseconds (RFC 3339 practice) rather than rounding into the next second. */
function timestampIso(ts: Timestamp): string {
  if (ts.seconds < MIN_SECONDS || ts.seconds > MAX_SECONDS || ts.nanos < 0 || ts.nanos > 999_999_999) {
    throw invalid(`timestamp: out of range (seconds ${ts.seconds}, nanos ${ts.nanos})`);
  }
  return new Date(Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1_000_000)).toISOString();
}

/** Decodes a binary seed `Event`; throws 400 `invalid_protobuf` naming the field that is wrong. */
export function decodeEventProto(bytes: Uint8Array): DecodedEvent {
  let event: Event;
  try {
    event = fromBinary(EventSchema, bytes);
  } catch (err) {
    throw invalid(`body: not a jimbot.events.v1.Event (${reason(err)})`);
  }
  const type = EventType[event.type];
  if (type === undefined || !isEventType(type)) throw invalid(`type: unknown EventType ${event.type}`);
  if (!event.payload) throw invalid("payload: required (a google.protobuf.Any)");

  const typeUrl = event.payload.typeUrl;
  const typeName = typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
  const schema = typeName ? registry.getMessage(typeName) : undefined;
  if (!schema) throw invalid(`payload.type_url: unknown payload type "${typeUrl}"`);
  if (!payloadFits(type, schema)) throw invalid(`payload.type_url: ${type} events do not carry ${schema.typeName}`);
  let payload: JsonValue;
  try {
    payload = toJson(schema, fromBinary(schema, event.payload.value), {
      useProtoFieldName: true,
      alwaysEmitImplicit: true,
    });
  } catch (err) {
    throw invalid(`payload.value: not a ${schema.typeName} (${reason(err)})`);
  }
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    throw invalid(`payload.value: ${schema.typeName} is not a JSON object`);
  }

  const decoded: DecodedEvent = { type, metadata: { ...event.metadata }, payload };
  if (event.eventId) decoded.event_id = event.eventId;
  if (event.correlationId) decoded.correlation_id = event.correlationId;
  if (event.source) decoded.source = event.source;
  if (event.timestamp) decoded.timestamp = timestampIso(event.timestamp);
  if (event.version !== 0) decoded.version = event.version;
  return decoded;
}

export interface EncodableEvent {
  event_id?: string | undefined;
  correlation_id?: string | undefined;
  /** An EventType name, or a canonical subject that the EventType table maps (`game.state`, `errors.x`). */
  type: string;
  source?: string | undefined;
  /** ISO-8601 or epoch milliseconds. */
  timestamp?: string | number | undefined;
  version?: number | undefined;
  metadata?: Record<string, string> | undefined;
  payload: unknown;
}

export interface EncodeOptions {
  /** Full message name for the Any payload, e.g. `jimbot.events.v1.GameStateEvent`; strict when given. */
  payloadType?: string;
}

function notRepresentable(message: string): AppError {
  return new AppError(406, "not_representable", message);
}

/** The default payload message for an EventType; a learning decision is a response iff it has `selected_action`. */
function defaultPayloadType(type: EventTypeName, payload: unknown): DescMessage {
  if (type === "LEARNING_DECISION" && payload !== null && typeof payload === "object" && "selected_action" in payload) {
    return LearningDecisionResponseSchema;
  }
  if (type === "LEARNING_DECISION") return LearningDecisionRequestSchema;
  if (type === "GAME_STATE") return GameStateEventSchema;
  if (type === "ERROR") return ErrorEventSchema;
  return StructSchema;
}

function packPayload(schema: DescMessage, payload: unknown): Any {
  // fromJson checks the value at run time; the cast only lets an unknown in.
  const message = fromJson(schema, payload as JsonValue);
  return create(AnySchema, { typeUrl: TYPE_URL_PREFIX + schema.typeName, value: toBinary(schema, message) });
}

/**
 * Encodes an envelope as a binary seed `Event` (tests; `Accept: application/x-protobuf`). Without an explicit
 * `payloadType`, a payload that does not fit its EventType's message exactly (extra keys, as BalatroMCP
 * sends) goes out as a Struct rather than losing fields. Throws 406 `not_representable` naming the field.
 */
export function encodeEventProto(input: EncodableEvent, options: EncodeOptions = {}): Uint8Array {
  const type = isEventType(input.type) ? input.type : eventTypeOf(input.type);
  if (!type) throw notRepresentable(`type: "${input.type}" has no EventType`);

  let payload: Any;
  if (options.payloadType !== undefined) {
    const schema = registry.getMessage(options.payloadType);
    if (!schema) throw notRepresentable(`payload: unknown payload type "${options.payloadType}"`);
    try {
      payload = packPayload(schema, input.payload);
    } catch (err) {
      throw notRepresentable(`payload: not a ${schema.typeName} (${reason(err)})`);
    }
  } else {
    try {
      payload = packPayload(defaultPayloadType(type, input.payload), input.payload);
    } catch {
      try {
        payload = packPayload(StructSchema, input.payload);
      } catch (err) {
        throw notRepresentable(`payload: not a JSON object (${reason(err)})`);
      }
    }
  }

  let timestamp: Timestamp | undefined;
  if (input.timestamp !== undefined) {
    const ms = Math.trunc(typeof input.timestamp === "number" ? input.timestamp : Date.parse(input.timestamp));
    if (!Number.isFinite(ms)) throw notRepresentable(`timestamp: not a time ("${input.timestamp}")`);
    const seconds = Math.floor(ms / 1000);
    timestamp = create(TimestampSchema, { seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 });
  }

  return toBinary(
    EventSchema,
    create(EventSchema, {
      eventId: input.event_id ?? "",
      correlationId: input.correlation_id ?? "",
      type: EventType[type],
      source: input.source ?? "",
      timestamp,
      version: input.version ?? 0,
      metadata: input.metadata ?? {},
      payload,
    }),
  );
}
