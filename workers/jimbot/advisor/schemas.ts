/**
 * The strategy advisor's messages (seed 002's StrategyRequest / StrategyResponse, which the seed names but does
 * not spell out): what `POST /api/v1/strategies` and a `strategy.request` event carry, the answer both get, the
 * `strategy` JSON function's output, and the cache listing.
 */
import { z } from "@hono/zod-openapi";
import { GameStateSchema } from "./game-state";

/** The seed's `timeout: 5s` for RequestStrategy: no answer may take longer. */
export const MAX_STRATEGY_TIMEOUT_MS = 5_000;

export const StrategyRequestSchema = z
  .strictObject({
    game_state: GameStateSchema,
    available_actions: z.array(z.string().min(1).max(200)).max(100).optional(),
    question: z.string().max(2000).optional().openapi({ example: "Which joker should I buy?" }),
    max_age_s: z.number().int().min(0).max(31_536_000).optional().openapi({
      description: "Serve a cached strategy at most this old without asking the model (default STRATEGY_CACHE_TTL)",
    }),
    timeout_ms: z.number().int().min(1).max(MAX_STRATEGY_TIMEOUT_MS).optional().openapi({
      description: "Answer within this many ms (at most STRATEGY_TIMEOUT, the seed's 5 s)",
    }),
  })
  .openapi("StrategyRequest");

export type StrategyRequest = z.infer<typeof StrategyRequestSchema>;

/** The `strategy` function's output schema, as the bundled config declares it. */
export const StrategyAdviceSchema = z
  .object({
    strategy_name: z.string().min(1),
    recommended_action: z.string(),
    reasoning: z.string(),
    confidence: z.number().min(0).max(1),
  })
  .openapi("StrategyAdvice");

export type StrategyAdvice = z.infer<typeof StrategyAdviceSchema>;

export const REFUSAL_REASONS = ["rate_limited", "circuit_open", "timeout", "model_error", "invalid_request"] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export const StrategyResponseSchema = z
  .object({
    status: z.enum(["answered", "refused"]).openapi({
      description: "answered: `strategy` holds advice (from the model or the cache); refused: none could be given",
    }),
    source: z.enum(["model", "cache", "none"]),
    fingerprint: z.string().openapi({ description: "The situation's cache key (SHA-256)" }),
    strategy: StrategyAdviceSchema.nullable(),
    /** Set when the answer is not fresh from the model: why the model was not (or could not be) asked. */
    refusal: z
      .object({
        reason: z.enum(REFUSAL_REASONS),
        message: z.string(),
        retry_after_ms: z.number().int().nonnegative(),
      })
      .nullable(),
    cache_age_s: z.number().int().nonnegative().nullable(),
    served: z.object({ variant: z.string(), provider: z.string(), model: z.string() }).nullable(),
    elapsed_ms: z.number().int().nonnegative(),
  })
  .openapi("StrategyResponse");

export type StrategyResponse = z.infer<typeof StrategyResponseSchema>;

export const CacheEntrySchema = z
  .object({
    fingerprint: z.string(),
    situation: z.record(z.string(), z.unknown()),
    strategy: StrategyAdviceSchema,
    hits: z.number().int().nonnegative(),
    created_at: z.iso.datetime(),
    last_hit_at: z.iso.datetime().nullable(),
    age_s: z.number().int().nonnegative(),
  })
  .openapi("StrategyCacheEntry");

export const CacheListSchema = z.object({ entries: z.array(CacheEntrySchema), total: z.number().int() });

export const CacheQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const FingerprintParamSchema = z.object({
  fingerprint: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "must be a 64-digit lowercase hex SHA-256")
    .openapi({ param: { name: "fingerprint", in: "path" } }),
});
