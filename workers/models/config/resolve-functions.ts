/**
 * `[functions.F]` and its variants → FunctionConfig: each variant's model reference resolved to a provider,
 * its tier, and its time budgets and retries (variant over function over tier defaults). The written order
 * (the seed's `variants = [...]` list, else table order) is kept: it breaks weight ties in planning.
 */
import type { ChatParams, ProviderType } from "../types";
import { DEFAULT_CACHE, DEFAULT_DEADLINE_MS, DEFAULT_RETRIES, DEFAULT_WEIGHT, defaultTimeouts } from "./defaults";
import { VARIANT_LIST_KEY, type FunctionToml, type VariantToml } from "./schema";
import type {
  ConfigIssue,
  FunctionConfig,
  ModelConfig,
  ProviderConfig,
  Retries,
  Timeouts,
  VariantConfig,
} from "./types";

export interface Catalog {
  providers: ReadonlyMap<string, ProviderConfig>;
  models: ReadonlyMap<string, ModelConfig>;
  embeddingModels: ReadonlyMap<string, ModelConfig>;
}

/** TensorZero's shorthand prefixes that are provider types rather than names botplane knows. */
const TYPE_ALIASES: Readonly<Record<string, ProviderType>> = { google_ai_studio_gemini: "google" };

/** `provider::model` (TensorZero's `openai::gpt-4o`): a provider by name, else the first of that type. */
export function providerForShorthand(
  prefix: string,
  providers: ReadonlyMap<string, ProviderConfig>,
): ProviderConfig | undefined {
  const byName = providers.get(prefix);
  if (byName) return byName;
  const type = Object.hasOwn(TYPE_ALIASES, prefix) ? TYPE_ALIASES[prefix] : prefix;
  const ofType = [...providers.values()].filter((p) => p.type === type);
  return ofType.find((p) => p.enabled) ?? ofType[0];
}

/** A model reference as variants and `model_name` requests write it: `models.x`, `embedding_models.x`, `x`, `provider::model`. */
export function lookupModel(ref: string, catalog: Catalog, preferEmbedding = false): ModelConfig | undefined {
  if (ref.startsWith("models.")) return catalog.models.get(ref.slice("models.".length));
  if (ref.startsWith("embedding_models.")) return catalog.embeddingModels.get(ref.slice("embedding_models.".length));
  const named = preferEmbedding
    ? (catalog.embeddingModels.get(ref) ?? catalog.models.get(ref))
    : (catalog.models.get(ref) ?? catalog.embeddingModels.get(ref));
  if (named) return named;
  const sep = ref.indexOf("::");
  if (sep <= 0 || sep + 2 >= ref.length) return undefined;
  const provider = providerForShorthand(ref.slice(0, sep), catalog.providers);
  return provider ? { name: ref, provider: provider.name, model: ref.slice(sep + 2) } : undefined;
}

function mergeTimeouts(base: Timeouts, t: FunctionToml["timeouts"] | VariantToml["timeouts"]): Timeouts {
  return {
    nonStreamingTotalMs: t?.non_streaming?.total_ms ?? base.nonStreamingTotalMs,
    streamingTtftMs: t?.streaming?.ttft_ms ?? base.streamingTtftMs,
    streamingTotalMs: t?.streaming?.total_ms ?? base.streamingTotalMs,
  };
}

function mergeRetries(base: Retries, r: VariantToml["retries"]): Retries {
  return { numRetries: r?.num_retries ?? base.numRetries, maxDelayS: r?.max_delay_s ?? base.maxDelayS };
}

function paramsOf(v: VariantToml): ChatParams {
  const params: ChatParams = {};
  if (v.temperature !== undefined) params.temperature = v.temperature;
  if (v.top_p !== undefined) params.top_p = v.top_p;
  if (v.max_tokens !== undefined) params.max_tokens = v.max_tokens;
  if (v.seed !== undefined) params.seed = v.seed;
  if (v.presence_penalty !== undefined) params.presence_penalty = v.presence_penalty;
  if (v.frequency_penalty !== undefined) params.frequency_penalty = v.frequency_penalty;
  if (v.stop_sequences !== undefined) params.stop = v.stop_sequences;
  return params;
}

function resolveVariant(
  fnName: string,
  fn: FunctionToml,
  name: string,
  v: VariantToml,
  catalog: Catalog,
  issues: ConfigIssue[],
  warnings: string[],
): VariantConfig | undefined {
  const key = `functions.${fnName}.variants.${name}`;
  if (v.type !== undefined && v.type !== "chat_completion")
    warnings.push(`${key}.type: '${v.type}' is not supported; used as chat_completion`);
  let model: ModelConfig | undefined;
  if (v.provider !== undefined) {
    if (!catalog.providers.has(v.provider)) {
      issues.push({ field: `${key}.provider`, message: `unknown provider '${v.provider}'` });
      return undefined;
    }
    model = { name: `${v.provider}::${v.model}`, provider: v.provider, model: v.model };
  } else {
    model = lookupModel(v.model, catalog, fn.type === "embedding");
    if (!model) {
      issues.push({ field: `${key}.model`, message: `unknown model '${v.model}'` });
      return undefined;
    }
  }
  const provider = catalog.providers.get(model.provider);
  if (!provider) return undefined; // models.* already reported its unknown provider
  const tier = v.tier ?? provider.tier;
  return {
    name,
    modelName: model.name,
    provider: provider.name,
    model: model.model,
    weight: v.weight ?? DEFAULT_WEIGHT,
    tier,
    tierSource: v.tier ? "variant" : provider.tierSource,
    timeouts: mergeTimeouts(mergeTimeouts(defaultTimeouts(tier), fn.timeouts), v.timeouts),
    retries: mergeRetries(mergeRetries(DEFAULT_RETRIES, fn.retries), v.retries),
    prices: model.prices,
    contextWindow: model.contextWindow,
    params: paramsOf(v),
    jsonMode: v.json_mode,
  };
}

/** Variant names in written order: the list, then any table the list leaves out (with a warning). */
function writtenOrder(name: string, fn: FunctionToml, issues: ConfigIssue[], warnings: string[]): string[] {
  const tables = Object.keys(fn.variants ?? {});
  const list = fn[VARIANT_LIST_KEY];
  if (!list) return tables;
  const seen = new Set<string>();
  list.forEach((v, i) => {
    if (seen.has(v)) issues.push({ field: `functions.${name}.variants.${i}`, message: `'${v}' is listed twice` });
    else if (!tables.includes(v))
      issues.push({
        field: `functions.${name}.variants.${v}`,
        message: `listed but not defined ([functions.${name}.variants.${v}] is missing)`,
      });
    seen.add(v);
  });
  const unlisted = tables.filter((t) => !seen.has(t));
  for (const t of unlisted)
    warnings.push(`functions.${name}.variants.${t}: not in the variants list; tried after the listed ones`);
  return [...list.filter((v) => tables.includes(v)), ...unlisted];
}

export function resolveFunction(
  name: string,
  fn: FunctionToml,
  catalog: Catalog,
  issues: ConfigIssue[],
  warnings: string[],
): FunctionConfig {
  const variants: VariantConfig[] = [];
  const names = [...new Set(writtenOrder(name, fn, issues, warnings))];
  if (names.length === 0)
    issues.push({ field: `functions.${name}.variants`, message: "a function needs at least one variant" });
  for (const v of names) {
    const table = fn.variants?.[v];
    const resolved = table ? resolveVariant(name, fn, v, table, catalog, issues, warnings) : undefined;
    if (resolved) variants.push(resolved);
  }
  fn.order?.forEach((v, i) => {
    if (!names.includes(v)) issues.push({ field: `functions.${name}.order.${i}`, message: `unknown variant '${v}'` });
  });
  const unordered = fn.order ? names.filter((v) => !fn.order?.includes(v)) : [];
  if (unordered.length > 0)
    warnings.push(
      `functions.${name}.order: ${unordered.join(", ")} not listed; tried after the listed ones, by tier and weight`,
    );
  if (fn.output_schema && fn.type !== "json")
    warnings.push(`functions.${name}.output_schema: only json functions validate output; ignored`);
  const cache = fn.cache;
  const ttlS = cache?.ttl_s ?? DEFAULT_CACHE.ttlS;
  return {
    name,
    type: fn.type,
    variants,
    order: fn.order,
    sampling: fn.sampling ?? "tier_weight",
    deadlineMs: fn.timeouts?.total_ms ?? DEFAULT_DEADLINE_MS,
    outputSchema: fn.type === "json" ? fn.output_schema : undefined,
    cache: {
      enabled: cache?.enabled ?? DEFAULT_CACHE.enabled,
      ttlS,
      semanticThreshold: cache?.semantic_threshold,
      semanticTtlS: cache?.semantic_ttl_s ?? ttlS,
    },
  };
}
