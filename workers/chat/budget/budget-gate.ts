/**
 * What a workspace's budget means for its next turn: within budget, nothing; spent, the model gateway may
 * only use its local and free tiers (`maxTier: "free"`), and the first restricted turn of the month carries
 * a note telling the founder so — once, not on every turn. Cost recording after the turn lives here too, so
 * chat-turn.ts has one call on each side of the model.
 */
import type { Env } from "../../platform/env";
import type { Logger } from "../../platform/logger";
import type { ModelTier, ModelUsage } from "../../platform/model-port";
import { budgetState, claimBudgetNotice, recordCost, toUsd } from "./costs";

/** The tiers a workspace over budget keeps (seed 001: Tier 1, local and free). */
export const OVER_BUDGET_MAX_TIER: ModelTier = "free";

export interface TurnBudget {
  maxTier: ModelTier | undefined;
  /** Set on the one turn that tells the founder the budget is spent. */
  note: string | null;
}

export function budgetNote(budgetUsd: number): string {
  return (
    `Note: this workspace has used its monthly budget of $${budgetUsd.toFixed(2)}. ` +
    "Until the month ends, replies come from local and free models only."
  );
}

/** The tier limit alone, for model work that is not a reply (workspace sync): it does not use up the note. */
export async function budgetMaxTier(env: Env, workspaceId: string): Promise<ModelTier | undefined> {
  return (await budgetState(env, workspaceId)).exhausted ? OVER_BUDGET_MAX_TIER : undefined;
}

export async function turnBudget(env: Env, workspaceId: string): Promise<TurnBudget> {
  const state = await budgetState(env, workspaceId);
  if (!state.exhausted) return { maxTier: undefined, note: null };
  const tell = await claimBudgetNotice(env, workspaceId);
  return { maxTier: OVER_BUDGET_MAX_TIER, note: tell ? budgetNote(toUsd(state.budget.monthlyNanoUsd)) : null };
}

/** Adds the turn's cost (or a sync's, `turns` 0) to its workspace; a D1 failure is logged, never fails a reply already produced. */
export async function recordTurnCost(
  env: Env,
  workspaceId: string,
  usage: ModelUsage,
  costUsd: number | null,
  log: Logger,
  turns = 1,
): Promise<void> {
  try {
    await recordCost(env, workspaceId, usage, costUsd, turns);
  } catch (err) {
    log.error("chat turn cost not recorded", {
      workspace_id: workspaceId,
      cost_usd: costUsd,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}
