/**
 * Typed payloads for the seed's messages (GameStateEvent, LearningDecisionRequest/Response, ErrorEvent) and
 * which subjects declare them. Fields follow the proto3 JSON form with the seed's snake_case names; every
 * field is optional as in proto3, unknown keys are kept (publishers such as BalatroMCP send more).
 */
import { z } from "zod";
import { ERROR_SEVERITIES, RECOVERY_ACTIONS } from "../platform/bus/error-event";
import { subjectMatches } from "../platform/bus/subjects";

const int32 = z.number().int().min(-2147483648).max(2147483647);
const stringMap = z.record(z.string(), z.string());

const card = z.looseObject({
  suit: z.string().optional(),
  rank: z.string().optional(),
  enhancement: z.string().optional(),
  seal: z.string().optional(),
  edition: z.string().optional(),
});

export const GameStateEventSchema = z.looseObject({
  game_id: z.string().optional(),
  ante: int32.optional(),
  round: int32.optional(),
  hand_number: int32.optional(),
  jokers: z
    .array(
      z.looseObject({
        name: z.string().optional(),
        rarity: z.string().optional(),
        position: int32.optional(),
        properties: stringMap.optional(),
      }),
    )
    .optional(),
  hand: z.array(card).optional(),
  deck: z.array(card).optional(),
  chips: int32.optional(),
  mult: int32.optional(),
  money: int32.optional(),
  hand_size: int32.optional(),
  hands_remaining: int32.optional(),
  discards_remaining: int32.optional(),
  shop_items: z.record(z.string(), int32).optional(),
  score_history: z.record(z.string(), z.number()).optional(),
});

const DecisionContextSchema = z.looseObject({
  recent_actions: z.array(z.string()).optional(),
  current_score: z.number().optional(),
  target_score: z.number().optional(),
  strategy_hint: z.string().optional(),
});

export const LearningDecisionRequestSchema = z.looseObject({
  request_id: z.string().min(1),
  game_state: GameStateEventSchema.optional(),
  available_actions: z.array(z.string()).optional(),
  time_limit_ms: z.number().nonnegative().optional(),
  context: DecisionContextSchema.optional(),
});

export const LearningDecisionResponseSchema = z.looseObject({
  request_id: z.string().min(1),
  selected_action: z.string().min(1),
  confidence: z.number().min(0).max(1).optional(),
  action_values: z.record(z.string(), z.number()).optional(),
  used_llm: z.boolean().optional(),
  strategy_name: z.string().optional(),
});

export const ErrorEventSchema = z.looseObject({
  error_id: z.string().min(1),
  source_component: z.string().min(1),
  severity: z.enum(ERROR_SEVERITIES),
  message: z.string(),
  stack_trace: z.string().optional(),
  context: stringMap.optional(),
  affected_components: z.array(z.string()).optional(),
  suggested_action: z.enum(RECOVERY_ACTIONS).optional(),
});

/**
 * Subject pattern → payload schema. A learning decision is a request or a response: the response is told
 * apart by `selected_action`, so a bad one is reported against the schema it was meant for.
 */
const DECLARED: readonly [pattern: string, schema: (payload: unknown) => z.ZodType][] = [
  ["game.state", () => GameStateEventSchema],
  [
    "learning.decision",
    (p) =>
      p !== null && typeof p === "object" && "selected_action" in p
        ? LearningDecisionResponseSchema
        : LearningDecisionRequestSchema,
  ],
  ["errors.>", () => ErrorEventSchema],
];

/** The schema an event's payload must match, by its canonical subject; undefined for free-form subjects. */
export function payloadSchemaFor(subject: string, payload: unknown): z.ZodType | undefined {
  const hit = DECLARED.find(([pattern]) => subjectMatches(pattern, subject));
  return hit?.[1](payload);
}
