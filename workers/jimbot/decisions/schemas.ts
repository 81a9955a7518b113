/**
 * The decision service's messages in their proto3 JSON form (seed 002's LearningDecisionRequest / Response /
 * DecisionContext, snake_case), the `fallback` flag botplane adds to a JSON answer, and the route's query.
 */
import { z } from "@hono/zod-openapi";
import { GameStateSchema } from "../advisor/game-state";

export const DecisionContextSchema = z
  .looseObject({
    recent_actions: z.array(z.string().max(200)).max(100).optional(),
    current_score: z.number().optional(),
    target_score: z.number().optional(),
    strategy_hint: z.string().max(2000).optional(),
  })
  .openapi("DecisionContext");

export const LearningDecisionRequestSchema = z
  .looseObject({
    request_id: z.string().min(1).max(256),
    game_state: GameStateSchema.optional(),
    available_actions: z.array(z.string().min(1).max(200)).max(100).optional(),
    time_limit_ms: z.number().nonnegative().max(60_000).optional().openapi({
      description: "The caller's budget; the backend gets min(this, DECISION_DEADLINE)",
    }),
    context: DecisionContextSchema.optional(),
  })
  .openapi("LearningDecisionRequest");

export type LearningDecisionRequest = z.infer<typeof LearningDecisionRequestSchema>;

/** What a backend must answer: the seed's response (extra keys are kept). */
export const BackendResponseSchema = z.looseObject({
  request_id: z.string().optional(),
  selected_action: z.string().min(1),
  confidence: z.number().optional(),
  action_values: z.record(z.string(), z.number()).optional(),
  used_llm: z.boolean().optional(),
  strategy_name: z.string().optional(),
});

export const FALLBACK_REASONS = ["deadline", "breaker_open", "backend_error", "no_backend"] as const;
export type FallbackReason = (typeof FALLBACK_REASONS)[number];

export const FallbackSchema = z
  .object({
    reason: z.enum(FALLBACK_REASONS),
    policy: z.enum(["cached_strategy", "configured_default", "first_action"]),
    message: z.string(),
  })
  .openapi("DecisionFallback");

export const LearningDecisionResponseSchema = z
  .object({
    request_id: z.string(),
    selected_action: z.string(),
    confidence: z.number(),
    action_values: z.record(z.string(), z.number()),
    used_llm: z.boolean(),
    strategy_name: z.string(),
    model_id: z.string(),
    fallback: FallbackSchema.nullable().openapi({
      description: "Set when the backend did not answer: why, and which fallback policy chose the action",
    }),
  })
  .openapi("LearningDecisionResponse");

export type LearningDecisionResponse = z.infer<typeof LearningDecisionResponseSchema>;

export const DecisionQuerySchema = z.object({
  model_id: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,128}$/, "letters, digits, _ . : - (at most 128)")
    .default("default")
    .openapi({ description: "Which model's backend decides (DECISION_BACKENDS key)", example: "default" }),
});
