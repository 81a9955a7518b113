/**
 * Keeps a session's context within its token budget: when the turns in context exceed the budget, the
 * oldest are folded into the rolling summary through the model gateway, keeping the newest half of the
 * budget (and at least the last exchange) verbatim. A failed summary folds nothing: the turns stay in
 * context, over budget, rather than being dropped silently. The summary's model usage is the workspace's
 * cost like a reply's (recordTurnCost, counted as no turn), whether or not the fold then lands.
 */
import type { SessionRpc } from "../../durable-objects/session-client";
import type { SessionState, Turn } from "../../durable-objects/session-contract";
import type { Logger } from "../platform/logger";
import type { GatewayModel, Deferrer, ModelCall } from "../platform/model-port";
import type { Env } from "../platform/env";
import { recordTurnCost } from "./budget/budget-gate";

const KEEP_AT_LEAST = 2;

/** The oldest turns to fold, or none while the context fits. */
export function turnsToFold(context: readonly Turn[], budget: number): Turn[] {
  const total = context.reduce((n, t) => n + t.tokens, 0);
  if (total <= budget) return [];
  let kept = 0;
  let keepFrom = context.length;
  while (keepFrom > 0) {
    const turn = context[keepFrom - 1];
    if (!turn) break;
    const mustKeep = context.length - keepFrom < KEEP_AT_LEAST;
    if (!mustKeep && kept + turn.tokens > budget / 2) break;
    kept += turn.tokens;
    keepFrom -= 1;
  }
  return context.slice(0, keepFrom);
}

export interface FoldDeps {
  env: Env;
  ctx: Deferrer;
  model: GatewayModel;
  session: SessionRpc;
  log: Logger;
  call: Omit<ModelCall, "messages" | "system" | "tools" | "maxTokens">;
  budget: number;
}

/** Folds if needed; answers how many turns were folded (0 when none needed or the summary failed). */
export async function foldIfOverBudget(state: SessionState, deps: FoldDeps): Promise<number> {
  const fold = turnsToFold(state.context, deps.budget);
  const last = fold[fold.length - 1];
  if (!last) return 0;
  const transcript = fold.map((t) => `${t.role}: ${t.text}`).join("\n");
  let summary: string;
  try {
    const reply = await deps.model.complete(deps.env, deps.ctx, {
      ...deps.call,
      system:
        "You keep a rolling summary of a conversation between a founder and their assistant. Merge the new turns " +
        "into the previous summary. Keep names, numbers, decisions and open questions. Answer with the summary only.",
      messages: [
        {
          role: "user",
          content: [
            {
              type: "text",
              text: `Previous summary:\n${state.summary ?? "(none)"}\n\nNew turns:\n${transcript}\n\nUpdated summary:`,
            },
          ],
        },
      ],
      maxTokens: Math.max(64, Math.floor(deps.budget / 8)),
    });
    await recordTurnCost(deps.env, state.workspaceId, reply.usage, reply.costUsd ?? null, deps.log, 0);
    summary = reply.content.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("");
  } catch (err) {
    deps.log.warn("context over budget but the summary failed; turns kept", {
      session_id: state.id,
      error: err instanceof Error ? err.message : String(err),
    });
    return 0;
  }
  if (summary.trim() === "") return 0;
  const folded = await deps.session.fold({
    founderId: state.founderId,
    upToSeq: last.seq,
    summary,
    summaryVersion: state.summaryVersion,
  });
  return folded.ok ? fold.length : 0;
}
