/**
 * One decision (seed 002's RayRLlib.GetDecision): at most MAX_CONCURRENT_DECISIONS in flight per isolate (the
 * seed's 1000; beyond it the caller is told to come back), the model's backend asked within
 * min(time_limit_ms, DECISION_DEADLINE), and the fallback policy when it cannot answer. Every outcome is counted
 * in `jimbot_decisions_total{model,outcome}`.
 *
 * The limit is per isolate: a shared counter would put a Durable Object round trip on a path whose whole
 * overhead budget is 5 ms. Cloudflare spreads load over isolates, so the fleet-wide ceiling is a multiple.
 */
import { AppError } from "../../platform/errors";
import type { Env } from "../../platform/env";
import { decisionOutcomes } from "../../platform/metrics/catalog";
import { increment } from "../../platform/metrics/recorder";
import type { Deferrer } from "../../platform/model-port";
import { callBackend } from "./backend";
import { backendFor, readDecisionSettings } from "./config";
import { fallbackDecision } from "./fallback";
import type { FallbackReason, LearningDecisionRequest, LearningDecisionResponse } from "./schemas";

let inFlight = 0;

async function decideAdmitted(
  env: Env,
  ctx: Deferrer,
  modelId: string,
  request: LearningDecisionRequest,
  traceparent: string | undefined,
): Promise<LearningDecisionResponse> {
  const settings = readDecisionSettings(env);
  const url = backendFor(settings, modelId);
  let why: { reason: FallbackReason; message: string };
  if (url === undefined) {
    why = { reason: "no_backend", message: `no decision backend for model '${modelId}' (DECISION_BACKENDS)` };
  } else {
    const deadlineMs = Math.max(1, Math.min(request.time_limit_ms ?? settings.deadlineMs, settings.deadlineMs));
    const outcome = await callBackend(env, (p) => ctx.waitUntil(p), {
      modelId,
      url,
      request,
      deadlineMs,
      traceparent,
    });
    if (outcome.ok) {
      increment(decisionOutcomes, { model: modelId, outcome: "backend" });
      const a = outcome.answer;
      return {
        request_id: request.request_id,
        selected_action: a.selected_action,
        confidence: a.confidence ?? 0,
        action_values: a.action_values ?? {},
        used_llm: a.used_llm ?? false,
        strategy_name: a.strategy_name ?? "",
        model_id: modelId,
        fallback: null,
      };
    }
    why = { reason: outcome.reason, message: outcome.message };
  }
  increment(decisionOutcomes, { model: modelId, outcome: `fallback_${why.reason}` });
  const fallback = await fallbackDecision(env, settings, modelId, request, why);
  if (fallback) return fallback;
  throw new AppError(503, "no_decision", `${why.message}, and no fallback action (none offered or configured)`, {
    reason: why.reason,
  });
}

export async function decide(
  env: Env,
  ctx: Deferrer,
  modelId: string,
  request: LearningDecisionRequest,
  traceparent?: string,
): Promise<LearningDecisionResponse> {
  const { maxConcurrent } = readDecisionSettings(env);
  if (inFlight >= maxConcurrent) {
    increment(decisionOutcomes, { model: modelId, outcome: "rejected" });
    throw new AppError(
      503,
      "too_many_decisions",
      `${maxConcurrent} decisions in flight (MAX_CONCURRENT_DECISIONS); retry shortly`,
      { max_concurrent_decisions: maxConcurrent },
      { "retry-after": "1" },
    );
  }
  inFlight += 1;
  try {
    return await decideAdmitted(env, ctx, modelId, request, traceparent);
  } finally {
    inFlight -= 1;
  }
}
