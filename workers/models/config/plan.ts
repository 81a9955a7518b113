/**
 * The order a request tries a function's variants in. Default: tier (local → free → plans → cloud), then
 * weight descending, ties as written — the seed's weights give Local → Cloudflare → Gemini → Anthropic →
 * OpenAI. `sampling = "weighted"` instead samples by weight without replacement within each tier (load
 * balancing across equal-tier variants). An explicit `order = [...]` wins over both. Variants whose provider
 * is disabled, or that the caller's `skip` rules out (breaker open, budget spent), are reported, not tried.
 */
import type { ChatParams, Tier } from "../types";
import { TIER_ORDER } from "../types";
import { DEFAULT_DEADLINE_MS, DEFAULT_RETRIES, defaultTimeouts } from "./defaults";
import { lookupModel } from "./resolve-functions";
import type {
  FunctionConfig,
  GatewayConfig,
  JsonMode,
  Prices,
  ProviderConfig,
  Retries,
  Timeouts,
  VariantConfig,
} from "./types";

export interface PlannedAttempt {
  variant: string;
  modelName: string;
  /** The provider's own model name. */
  model: string;
  provider: ProviderConfig;
  tier: Tier;
  weight: number;
  timeouts: Timeouts;
  retries: Retries;
  prices?: Prices | undefined;
  contextWindow?: number | undefined;
  params: ChatParams;
  jsonMode?: JsonMode | undefined;
}

export interface SkippedAttempt {
  variant: string;
  provider: string;
  tier: Tier;
  reason: string;
}

export interface Plan {
  attempts: PlannedAttempt[];
  skipped: SkippedAttempt[];
  /** Every variant's name in try order, skipped ones included, so their fates can be reported in place. */
  order: string[];
  /** Overall budget across attempts (the function's `timeouts.total_ms`). */
  deadlineMs: number;
}

export interface PlanOptions {
  /** Uniform in [0, 1); only `sampling = "weighted"` uses it. Tests pass a seeded one. */
  random: () => number;
  /** A reason to skip this provider now (breaker open, budget exhausted), or null to try it. */
  skip?: (providerName: string) => string | null;
  /** TensorZero's `variant_name`: try only this variant. */
  variantName?: string | undefined;
  /** The highest tier the caller may use (a workspace over its budget: `free`); variants above it are skipped. */
  maxTier?: Tier | undefined;
}

const tierRank = (t: Tier) => TIER_ORDER.indexOf(t);

function byTierThenWeight(variants: readonly VariantConfig[]): VariantConfig[] {
  const written = new Map(variants.map((v, i) => [v.name, i]));
  return [...variants].sort(
    (a, b) =>
      tierRank(a.tier) - tierRank(b.tier) ||
      b.weight - a.weight ||
      (written.get(a.name) ?? 0) - (written.get(b.name) ?? 0),
  );
}

/** Weighted sampling without replacement; zero-weight variants follow in written order. */
function sampleByWeight(group: readonly VariantConfig[], random: () => number): VariantConfig[] {
  const remaining = group.filter((v) => v.weight > 0);
  const out: VariantConfig[] = [];
  while (remaining.length > 0) {
    const total = remaining.reduce((sum, v) => sum + v.weight, 0);
    let r = random() * total;
    let index = remaining.length - 1; // float rounding can leave r just past the last bucket
    for (let i = 0; i < remaining.length; i += 1) {
      r -= remaining[i]?.weight ?? 0;
      if (r < 0) {
        index = i;
        break;
      }
    }
    out.push(...remaining.splice(index, 1));
  }
  return [...out, ...group.filter((v) => v.weight <= 0)];
}

function sampledByTier(variants: readonly VariantConfig[], random: () => number): VariantConfig[] {
  return TIER_ORDER.flatMap((tier) =>
    sampleByWeight(
      variants.filter((v) => v.tier === tier),
      random,
    ),
  );
}

/** The function's variants in the order they would be tried (before skipping disabled providers). */
export function orderVariants(fn: FunctionConfig, random: () => number): VariantConfig[] {
  const order = (vs: readonly VariantConfig[]) =>
    fn.sampling === "weighted" ? sampledByTier(vs, random) : byTierThenWeight(vs);
  if (!fn.order) return order(fn.variants);
  const listed = fn.order.flatMap((name) => fn.variants.filter((v) => v.name === name));
  return [...listed, ...order(fn.variants.filter((v) => !fn.order?.includes(v.name)))];
}

function attemptOf(v: VariantConfig, provider: ProviderConfig): PlannedAttempt {
  return {
    variant: v.name,
    modelName: v.modelName,
    model: v.model,
    provider,
    tier: v.tier,
    weight: v.weight,
    timeouts: v.timeouts,
    retries: v.retries,
    prices: v.prices,
    contextWindow: v.contextWindow,
    params: v.params,
    jsonMode: v.jsonMode,
  };
}

function split(
  candidates: readonly { variant: VariantConfig; provider: ProviderConfig | undefined }[],
  skip: PlanOptions["skip"],
  maxTier?: Tier,
): Pick<Plan, "attempts" | "skipped" | "order"> {
  const attempts: PlannedAttempt[] = [];
  const skipped: SkippedAttempt[] = [];
  for (const { variant, provider } of candidates) {
    const reason = !provider
      ? "provider not configured"
      : !provider.enabled
        ? (provider.disabledReason ?? "disabled")
        : maxTier !== undefined && tierRank(variant.tier) > tierRank(maxTier)
          ? `tier '${variant.tier}' is above the caller's limit '${maxTier}'`
          : (skip?.(provider.name) ?? null);
    if (reason === null && provider) attempts.push(attemptOf(variant, provider));
    else
      skipped.push({
        variant: variant.name,
        provider: variant.provider,
        tier: variant.tier,
        reason: reason ?? "disabled",
      });
  }
  return { attempts, skipped, order: candidates.map((c) => c.variant.name) };
}

export function planVariants(fn: FunctionConfig, config: GatewayConfig, opts: PlanOptions): Plan {
  if (opts.variantName !== undefined) {
    const pinned = fn.variants.find((v) => v.name === opts.variantName);
    if (!pinned) return { attempts: [], skipped: [], order: [], deadlineMs: fn.deadlineMs };
    return {
      ...split([{ variant: pinned, provider: config.providers.get(pinned.provider) }], opts.skip, opts.maxTier),
      deadlineMs: fn.deadlineMs,
    };
  }
  const ordered = orderVariants(fn, opts.random).map((variant) => ({
    variant,
    provider: config.providers.get(variant.provider),
  }));
  return { ...split(ordered, opts.skip, opts.maxTier), deadlineMs: fn.deadlineMs };
}

export interface ResolvedModel {
  modelName: string;
  model: string;
  provider: ProviderConfig;
  tier: Tier;
  prices?: Prices | undefined;
  contextWindow?: number | undefined;
}

/** A `model_name` request: a `[models]`/`[embedding_models]` name (with or without prefix) or `provider::model`. */
export function resolveModel(
  name: string,
  config: GatewayConfig,
  opts: { embedding?: boolean } = {},
): ResolvedModel | undefined {
  const model = lookupModel(name, config, opts.embedding ?? false);
  const provider = model ? config.providers.get(model.provider) : undefined;
  if (!model || !provider) return undefined;
  return {
    modelName: model.name,
    model: model.model,
    provider,
    tier: provider.tier,
    prices: model.prices,
    contextWindow: model.contextWindow,
  };
}

/** A one-attempt plan for a `model_name` request, with its tier's default budgets; undefined for an unknown model. */
export function planModel(
  name: string,
  config: GatewayConfig,
  opts: { skip?: PlanOptions["skip"]; embedding?: boolean; maxTier?: Tier | undefined } = {},
): Plan | undefined {
  const m = resolveModel(name, config, opts);
  if (!m) return undefined;
  const variant: VariantConfig = {
    name: m.modelName,
    modelName: m.modelName,
    provider: m.provider.name,
    model: m.model,
    weight: 1,
    tier: m.tier,
    tierSource: m.provider.tierSource,
    timeouts: defaultTimeouts(m.tier),
    retries: DEFAULT_RETRIES,
    prices: m.prices,
    contextWindow: m.contextWindow,
    params: {},
  };
  return { ...split([{ variant, provider: m.provider }], opts.skip, opts.maxTier), deadlineMs: DEFAULT_DEADLINE_MS };
}
