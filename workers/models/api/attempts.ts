/**
 * From a request's target (function_name, model_name, or an OpenAI `model` string) to the ordered attempts
 * the router tries: the config plans the variants, each gets its provider client bound to its credentials.
 */
import type { Env } from "../../platform/env";
import { AppError } from "../../platform/errors";
import { planModel, planVariants, type Plan } from "../config/plan";
import type { LoadedConfig } from "../config/source";
import type { FunctionConfig } from "../config/types";
import { createProvider } from "../providers";
import type { AttemptRecord, ExecutionAttempt } from "../router";
import type { Tier } from "../types";

export interface Target {
  kind: "function" | "model";
  name: string;
  fn?: FunctionConfig | undefined;
}

/** Reads TensorZero's OpenAI-compatible model strings (`tensorzero::function_name::chat`, …). */
export function targetFromOpenAiModel(model: string): { function_name?: string; model_name?: string } {
  const m = /^tensorzero::(function_name|model_name|embedding_model_name)::(.+)$/.exec(model);
  if (!m?.[2]) return { model_name: model };
  return m[1] === "function_name" ? { function_name: m[2] } : { model_name: m[2] };
}

export function resolveTarget(
  loaded: LoadedConfig,
  req: { function_name?: string | undefined; model_name?: string | undefined },
): Target {
  if (req.function_name) {
    const fn = loaded.config.functions.get(req.function_name);
    if (!fn)
      throw new AppError(404, "unknown_function", `no function '${req.function_name}' in the gateway config`, {
        field: "body.function_name",
      });
    return { kind: "function", name: fn.name, fn };
  }
  const name = req.model_name ?? "";
  // A bare configured function name is accepted where a model is expected (OpenAI clients send one string).
  const fn = loaded.config.functions.get(name);
  if (fn) return { kind: "function", name: fn.name, fn };
  return { kind: "model", name };
}

export function planFor(
  loaded: LoadedConfig,
  target: Target,
  opts: { variantName?: string | undefined; embedding?: boolean; maxTier?: Tier | undefined },
): Plan {
  if (target.fn)
    return planVariants(target.fn, loaded.config, {
      random: Math.random,
      variantName: opts.variantName,
      maxTier: opts.maxTier,
    });
  const plan = planModel(target.name, loaded.config, { embedding: opts.embedding ?? false, maxTier: opts.maxTier });
  if (!plan)
    throw new AppError(404, "unknown_model", `no model '${target.name}' in the gateway config`, {
      field: "body.model_name",
    });
  return plan;
}

/** Binds each planned attempt to its provider client. */
export function toExecutionAttempts(plan: Plan, env: Env): ExecutionAttempt[] {
  return plan.attempts.map((a) => ({
    variant: a.variant,
    provider: createProvider(a.provider, env),
    model: a.model,
    tier: a.tier,
    timeouts: a.timeouts,
    retries: a.retries,
    params: a.params,
    prices: a.prices,
    contextWindow: a.contextWindow,
    budget: a.provider.budget,
  }));
}

/**
 * The executed attempts with the variants the plan left out (provider disabled or not configured) put back
 * in their place as `skipped`, so an answer or a 502 tells every variant's fate — a plan whose every variant
 * is disabled reports each one instead of an empty list. Past the variant that served, nothing was reached.
 */
export function withPlanSkips(plan: Plan, executed: readonly AttemptRecord[], servedVariant?: string): AttemptRecord[] {
  const position = (variant: string) => plan.order.indexOf(variant);
  const horizon = servedVariant === undefined ? Infinity : position(servedVariant);
  const skips: AttemptRecord[] = plan.skipped
    .filter((s) => position(s.variant) < horizon)
    .map((s) => ({
      variant: s.variant,
      provider: s.provider,
      tier: s.tier,
      status: "skipped",
      reason: `${s.provider}: ${s.reason}`,
      latency_ms: 0,
      tries: 0,
    }));
  return [...executed, ...skips].sort((a, b) => position(a.variant) - position(b.variant));
}
