/**
 * The public view of the config in force, for `GET/PUT /api/v1/models/config`: where it came from, its
 * warnings and errors, providers with tier and enabled state, models, and each function's variants in the
 * order they would be tried. Credentials never appear: providers show whether a key is set, and their URL
 * as written (before interpolation) without query string or user info.
 */
import { z } from "@hono/zod-openapi";
import { orderVariants } from "./plan";
import type { ConfigSource, LoadedConfig } from "./source";
import type { ModelConfig, ProviderConfig } from "./types";

const SOURCES = ["stored", "env", "bundled"] as const satisfies readonly ConfigSource[];
const TIERS = ["local", "free", "plans", "cloud"] as const;

const ModelSummarySchema = z.object({
  name: z.string(),
  provider: z.string(),
  model: z.string(),
  prices: z.object({ input_per_million: z.number(), output_per_million: z.number() }).nullable(),
  context_window: z.number().nullable(),
});

export const ConfigSummarySchema = z
  .object({
    source: z.enum(SOURCES),
    error: z
      .string()
      .nullable()
      .openapi({ description: "A higher-precedence config is invalid: its first problem, naming the key" }),
    error_source: z.enum(SOURCES).nullable(),
    issues: z.array(z.object({ field: z.string(), message: z.string() })),
    stored: z.object({ id: z.number(), created_at: z.string(), created_by: z.string() }).nullable(),
    warnings: z.array(z.string()),
    providers: z.array(
      z.object({
        name: z.string(),
        type: z.string(),
        tier: z.enum(TIERS),
        tier_source: z.enum(["explicit", "name", "type"]),
        enabled: z.boolean(),
        disabled_reason: z.string().nullable(),
        transport: z.string().openapi({ example: "edge:pi-kitchen" }),
        url: z.string().nullable(),
        has_api_key: z.boolean(),
        budget: z.object({ daily_usd: z.number().nullable(), monthly_usd: z.number().nullable() }).nullable(),
      }),
    ),
    models: z.array(ModelSummarySchema),
    embedding_models: z.array(ModelSummarySchema),
    functions: z.array(
      z.object({
        name: z.string(),
        type: z.enum(["chat", "json", "embedding"]),
        sampling: z.enum(["tier_weight", "weighted"]),
        deadline_ms: z.number(),
        has_output_schema: z.boolean(),
        cache: z.object({
          enabled: z.boolean(),
          ttl_s: z.number(),
          semantic_threshold: z.number().nullable(),
          semantic_ttl_s: z.number(),
        }),
        variants: z.array(
          z.object({
            name: z.string(),
            model: z.string(),
            provider: z.string(),
            tier: z.enum(TIERS),
            weight: z.number(),
            skipped_reason: z.string().nullable(),
            timeouts: z.object({
              non_streaming_total_ms: z.number(),
              streaming_ttft_ms: z.number(),
              streaming_total_ms: z.number(),
            }),
            retries: z.object({ num_retries: z.number(), max_delay_s: z.number() }),
          }),
        ),
      }),
    ),
    metrics: z.array(
      z.object({
        name: z.string(),
        type: z.enum(["boolean", "float"]),
        level: z.enum(["inference", "episode"]),
        optimize: z.enum(["max", "min"]),
      }),
    ),
  })
  .openapi("GatewayConfigSummary");

export type ConfigSummary = z.infer<typeof ConfigSummarySchema>;

/** The URL as written, minus anything that could carry a secret (user info, query, fragment). */
function safeUrl(template: string | undefined): string | null {
  if (template === undefined) return null;
  return template.replace(/[?#].*$/, "").replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1");
}

function provider(p: ProviderConfig): ConfigSummary["providers"][number] {
  return {
    name: p.name,
    type: p.type,
    tier: p.tier,
    tier_source: p.tierSource,
    enabled: p.enabled,
    disabled_reason: p.disabledReason ?? null,
    transport: p.transport,
    url: safeUrl(p.urlTemplate),
    has_api_key: p.apiKey !== undefined,
    budget: p.budget ? { daily_usd: p.budget.dailyUsd ?? null, monthly_usd: p.budget.monthlyUsd ?? null } : null,
  };
}

function model(m: ModelConfig): ConfigSummary["models"][number] {
  const prices = m.prices
    ? { input_per_million: m.prices.inputPerMillion, output_per_million: m.prices.outputPerMillion }
    : null;
  return { name: m.name, provider: m.provider, model: m.model, prices, context_window: m.contextWindow ?? null };
}

export function summarize(loaded: LoadedConfig): ConfigSummary {
  const { config } = loaded;
  const functions = [...config.functions.values()].map((fn) => ({
    name: fn.name,
    type: fn.type,
    sampling: fn.sampling,
    deadline_ms: fn.deadlineMs,
    has_output_schema: fn.outputSchema !== undefined,
    cache: {
      enabled: fn.cache.enabled,
      ttl_s: fn.cache.ttlS,
      semantic_threshold: fn.cache.semanticThreshold ?? null,
      semantic_ttl_s: fn.cache.semanticTtlS,
    },
    // Weighted sampling has no one order; show the expected one (tier, then weight).
    variants: orderVariants({ ...fn, sampling: "tier_weight" }, Math.random).map((v) => {
      const p = config.providers.get(v.provider);
      return {
        name: v.name,
        model: v.modelName,
        provider: v.provider,
        tier: v.tier,
        weight: v.weight,
        skipped_reason: p?.enabled ? null : (p?.disabledReason ?? "provider not configured"),
        timeouts: {
          non_streaming_total_ms: v.timeouts.nonStreamingTotalMs,
          streaming_ttft_ms: v.timeouts.streamingTtftMs,
          streaming_total_ms: v.timeouts.streamingTotalMs,
        },
        retries: { num_retries: v.retries.numRetries, max_delay_s: v.retries.maxDelayS },
      };
    }),
  }));
  return {
    source: loaded.source,
    error: loaded.error ?? null,
    error_source: loaded.errorSource ?? null,
    issues: loaded.issues ?? [],
    stored: loaded.stored
      ? {
          id: loaded.stored.id,
          created_at: new Date(loaded.stored.createdAt).toISOString(),
          created_by: loaded.stored.createdBy,
        }
      : null,
    warnings: config.warnings,
    providers: [...config.providers.values()].map(provider),
    models: [...config.models.values()].map(model),
    embedding_models: [...config.embeddingModels.values()].map(model),
    functions,
    metrics: [...config.metrics.values()].map((m) => ({
      name: m.name,
      type: m.type,
      level: m.level,
      optimize: m.optimize,
    })),
  };
}
