/**
 * The decision service's protobuf form (`application/x-protobuf`): a binary seed LearningDecisionRequest in, a
 * binary LearningDecisionResponse out, through the code buf generates from proto/jimbot/events/v1/events.proto.
 * The request is turned into its proto3 JSON form (snake_case) and validated like a JSON body; the response's
 * botplane additions (model_id, fallback) have no field in the seed's message and travel as headers.
 */
import { fromBinary, toBinary, toJson, create } from "@bufbuild/protobuf";
import { AppError } from "../../platform/errors";
import {
  LearningDecisionRequestSchema as RequestProto,
  LearningDecisionResponseSchema as ResponseProto,
} from "../proto/gen/jimbot/events/v1/events_pb";
import type { LearningDecisionResponse } from "./schemas";

export const PROTOBUF = "application/x-protobuf";

export function isProtobuf(contentType: string | undefined): boolean {
  return contentType?.split(";")[0]?.trim().toLowerCase() === PROTOBUF;
}

/** The request's proto3 JSON form (seed field names), for the same zod validation as a JSON body. */
export function decodeDecisionRequest(bytes: Uint8Array): unknown {
  try {
    return toJson(RequestProto, fromBinary(RequestProto, bytes), { useProtoFieldName: true });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new AppError(400, "invalid_protobuf", `body: not a jimbot.events.v1.LearningDecisionRequest (${message})`);
  }
}

export function encodeDecisionResponse(r: LearningDecisionResponse): Uint8Array {
  return toBinary(
    ResponseProto,
    create(ResponseProto, {
      requestId: r.request_id,
      selectedAction: r.selected_action,
      confidence: r.confidence,
      actionValues: r.action_values,
      usedLlm: r.used_llm,
      strategyName: r.strategy_name,
    }),
  );
}
