/**
 * The fallback policy when a decision backend cannot answer: the strategy advisor's cached advice for the same
 * situation (its recommended action, when it is one on offer), else the configured DECISION_FALLBACK_ACTION
 * (when on offer, or nothing is offered), else the first action on offer. Only cached advice is used: asking
 * the model would blow the 100 ms SLA.
 */
import { readCached } from "../advisor/cache-store";
import { fingerprint } from "../advisor/fingerprint";
import type { Env } from "../../platform/env";
import type { DecisionSettings } from "./config";
import type { FallbackReason, LearningDecisionRequest, LearningDecisionResponse } from "./schemas";

function offered(request: LearningDecisionRequest, action: string): boolean {
  const actions = request.available_actions ?? [];
  return actions.length === 0 || actions.includes(action);
}

/** The fallback answer, or null when no policy can choose an action (nothing configured, nothing on offer). */
export async function fallbackDecision(
  env: Env,
  settings: DecisionSettings,
  modelId: string,
  request: LearningDecisionRequest,
  why: { reason: FallbackReason; message: string },
): Promise<LearningDecisionResponse | null> {
  const base = { request_id: request.request_id, action_values: {}, model_id: modelId };
  if (request.game_state) {
    // The advisor's key for the same situation asked without a question.
    const fp = await fingerprint({ game_state: request.game_state, available_actions: request.available_actions });
    const cached = await readCached(env, fp);
    if (cached && offered(request, cached.strategy.recommended_action))
      return {
        ...base,
        selected_action: cached.strategy.recommended_action,
        confidence: cached.strategy.confidence,
        used_llm: true,
        strategy_name: cached.strategy.strategy_name,
        fallback: { ...why, policy: "cached_strategy" },
      };
  }
  if (settings.fallbackAction !== "" && offered(request, settings.fallbackAction))
    return {
      ...base,
      selected_action: settings.fallbackAction,
      confidence: 0,
      used_llm: false,
      strategy_name: "fallback",
      fallback: { ...why, policy: "configured_default" },
    };
  const first = request.available_actions?.[0];
  if (first === undefined) return null;
  return {
    ...base,
    selected_action: first,
    confidence: 0,
    used_llm: false,
    strategy_name: "fallback",
    fallback: { ...why, policy: "first_action" },
  };
}
