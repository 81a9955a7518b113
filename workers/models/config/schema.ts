/**
 * zod schemas for the TOML blocks botplane reads, with TensorZero's key names. They check types only; names
 * that point elsewhere (a variant's model, a model's provider) are checked during resolution. Unknown keys
 * are not errors (TensorZero has many botplane does not use): `unknownKeys` walks these same schemas to turn
 * them into warnings.
 */
import { z } from "zod";

const TIERS = ["local", "free", "plans", "cloud"] as const;
export const PROVIDER_TYPES = ["ollama", "cloudflare", "openai", "anthropic", "google"] as const;

const nonNegative = z.number().nonnegative();
const positiveInt = z.number().int().positive();

const budgetSchema = z.object({
  daily_usd: z.number().positive().optional(),
  monthly_usd: z.number().positive().optional(),
});

export const providerSchema = z.object({
  type: z.enum(PROVIDER_TYPES),
  url: z.string().optional(),
  api_key: z.string().optional(),
  account_id: z.string().optional(),
  tier: z.enum(TIERS).optional(),
  budget: budgetSchema.optional(),
});

const pricesSchema = z.object({ input_per_million: nonNegative, output_per_million: nonNegative });

export const modelSchema = z.object({
  provider: z.string().min(1),
  model: z.string().min(1),
  prices: pricesSchema.optional(),
  context_window: positiveInt.optional(),
});

const retriesSchema = z.object({
  num_retries: z.number().int().min(0).max(10).optional(),
  max_delay_s: nonNegative.max(60).optional(),
});

const attemptTimeoutsSchema = z.object({
  non_streaming: z.object({ total_ms: positiveInt.optional() }).optional(),
  streaming: z.object({ ttft_ms: positiveInt.optional(), total_ms: positiveInt.optional() }).optional(),
});

export const variantSchema = z.object({
  type: z.string().optional(),
  model: z.string().min(1),
  provider: z.string().min(1).optional(),
  weight: nonNegative.optional(),
  tier: z.enum(TIERS).optional(),
  retries: retriesSchema.optional(),
  timeouts: attemptTimeoutsSchema.optional(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  max_tokens: positiveInt.optional(),
  seed: z.number().int().optional(),
  presence_penalty: z.number().optional(),
  frequency_penalty: z.number().optional(),
  stop_sequences: z.array(z.string()).optional(),
  json_mode: z.enum(["off", "on", "strict", "tool"]).optional(),
});

const cacheSchema = z.object({
  enabled: z.boolean().optional(),
  ttl_s: positiveInt.optional(),
  semantic_threshold: z.number().gt(0).max(1).optional(),
  semantic_ttl_s: positiveInt.optional(),
});

/** The seed writes `variants = [...]` beside `[functions.F.variants.V]`; `toml-text.ts` renames the list to this. */
export const VARIANT_LIST_KEY = "__variants_list";

export const functionSchema = z.object({
  type: z.enum(["chat", "json", "embedding"]),
  [VARIANT_LIST_KEY]: z.array(z.string().min(1)).optional(),
  variants: z.record(z.string(), variantSchema).optional(),
  order: z.array(z.string().min(1)).optional(),
  sampling: z.enum(["tier_weight", "weighted"]).optional(),
  output_schema: z
    .record(z.string(), z.unknown(), { error: "expected an inline table (a Worker cannot read schema files)" })
    .optional(),
  timeouts: attemptTimeoutsSchema.extend({ total_ms: positiveInt.optional() }).optional(),
  retries: retriesSchema.optional(),
  cache: cacheSchema.optional(),
});

export const metricSchema = z.object({
  type: z.enum(["boolean", "float"]),
  level: z.enum(["inference", "episode"]),
  optimize: z.enum(["max", "min"]).optional(),
});

export const gatewayTomlSchema = z.object({
  providers: z.record(z.string(), providerSchema).optional(),
  models: z.record(z.string(), modelSchema).optional(),
  embedding_models: z.record(z.string(), modelSchema).optional(),
  functions: z.record(z.string(), functionSchema).optional(),
  metrics: z.record(z.string(), metricSchema).optional(),
});

export type GatewayToml = z.infer<typeof gatewayTomlSchema>;
export type ProviderToml = z.infer<typeof providerSchema>;
export type ModelToml = z.infer<typeof modelSchema>;
export type FunctionToml = z.infer<typeof functionSchema>;
export type VariantToml = z.infer<typeof variantSchema>;

function isTable(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date);
}

/** Key paths present in `value` that `schema` does not declare (recursing through objects and records). */
export function unknownKeys(schema: z.ZodType, value: unknown, path: string[] = []): string[] {
  if (schema instanceof z.ZodOptional) return unknownKeys(schema.unwrap() as z.ZodType, value, path);
  if (!isTable(value)) return [];
  if (schema instanceof z.ZodObject) {
    const shape = schema.shape as Record<string, z.ZodType>;
    return Object.entries(value).flatMap(([k, v]) => {
      const child = shape[k];
      return child ? unknownKeys(child, v, [...path, k]) : [[...path, k].join(".")];
    });
  }
  if (schema instanceof z.ZodRecord) {
    const valueType = schema.valueType as z.ZodType;
    return Object.entries(value).flatMap(([k, v]) => unknownKeys(valueType, v, [...path, k]));
  }
  return [];
}
