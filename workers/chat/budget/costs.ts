/**
 * Per-workspace chat costs (seed 003 "Provider Router": cost tracking per workspace) and monthly budgets in
 * D1. Every turn adds its cost — the gateway's usage priced by the serving variant's model prices — to the
 * workspace's row for the UTC month in one upsert, as integer nano-dollars so the sum is exact. A budget is
 * the workspace's own (admin route) or CHAT_MONTHLY_BUDGET_USD; 0 means none.
 */
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { createDb } from "../../platform/db/client";
import { chatWorkspaceBudgets, chatWorkspaceCosts } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import type { ModelUsage } from "../../platform/model-port";
import { limitsConfig } from "../limits/config";

const NANO = 1_000_000_000;

export const toNano = (usd: number) => Math.round(usd * NANO);
export const toUsd = (nano: number) => nano / NANO;

/** The UTC month a time falls in, `YYYY-MM`. */
export function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

/** Adds one turn (or any model work done for the workspace) to its month. */
export async function recordCost(
  env: Pick<Env, "DB">,
  workspaceId: string,
  usage: ModelUsage,
  costUsd: number | null,
  turns = 1,
  now = Date.now(),
): Promise<void> {
  const nano = costUsd === null ? 0 : toNano(costUsd);
  await createDb(env.DB)
    .insert(chatWorkspaceCosts)
    .values({
      workspaceId,
      month: monthOf(now),
      costNanoUsd: nano,
      inputTokens: usage.input_tokens,
      outputTokens: usage.output_tokens,
      turns,
      updatedAt: now,
    })
    .onConflictDoUpdate({
      target: [chatWorkspaceCosts.workspaceId, chatWorkspaceCosts.month],
      set: {
        costNanoUsd: sql`${chatWorkspaceCosts.costNanoUsd} + ${nano}`,
        inputTokens: sql`${chatWorkspaceCosts.inputTokens} + ${usage.input_tokens}`,
        outputTokens: sql`${chatWorkspaceCosts.outputTokens} + ${usage.output_tokens}`,
        turns: sql`${chatWorkspaceCosts.turns} + ${turns}`,
        updatedAt: now,
      },
    });
}

export interface MonthCosts {
  month: string;
  costNanoUsd: number;
  inputTokens: number;
  outputTokens: number;
  turns: number;
}

/** The workspace's months, newest first (at most 12). */
export async function costHistory(env: Pick<Env, "DB">, workspaceId: string): Promise<MonthCosts[]> {
  return createDb(env.DB)
    .select({
      month: chatWorkspaceCosts.month,
      costNanoUsd: chatWorkspaceCosts.costNanoUsd,
      inputTokens: chatWorkspaceCosts.inputTokens,
      outputTokens: chatWorkspaceCosts.outputTokens,
      turns: chatWorkspaceCosts.turns,
    })
    .from(chatWorkspaceCosts)
    .where(eq(chatWorkspaceCosts.workspaceId, workspaceId))
    .orderBy(desc(chatWorkspaceCosts.month))
    .limit(12);
}

export interface Budget {
  monthlyNanoUsd: number;
  source: "workspace" | "default";
}

export async function budgetOf(env: Env, workspaceId: string): Promise<Budget> {
  const [row] = await createDb(env.DB)
    .select({ monthlyNanoUsd: chatWorkspaceBudgets.monthlyNanoUsd })
    .from(chatWorkspaceBudgets)
    .where(eq(chatWorkspaceBudgets.workspaceId, workspaceId));
  if (row) return { monthlyNanoUsd: row.monthlyNanoUsd, source: "workspace" };
  return { monthlyNanoUsd: toNano(limitsConfig(env).monthlyBudgetUsd), source: "default" };
}

/** Sets the workspace's own budget, or with null drops it so the CHAT_MONTHLY_BUDGET_USD default applies. */
export async function setBudget(env: Env, workspaceId: string, monthlyUsd: number | null, by: string): Promise<void> {
  const db = createDb(env.DB);
  if (monthlyUsd === null) {
    await db.delete(chatWorkspaceBudgets).where(eq(chatWorkspaceBudgets.workspaceId, workspaceId));
    return;
  }
  const values = { monthlyNanoUsd: toNano(monthlyUsd), updatedAt: Date.now(), updatedBy: by };
  await db
    .insert(chatWorkspaceBudgets)
    .values({ workspaceId, ...values })
    .onConflictDoUpdate({ target: chatWorkspaceBudgets.workspaceId, set: values });
}

export interface BudgetState {
  budget: Budget;
  spentNanoUsd: number;
  /** A budget is set and this month's costs have reached it. */
  exhausted: boolean;
}

export async function budgetState(env: Env, workspaceId: string, now = Date.now()): Promise<BudgetState> {
  const [budget, [row]] = await Promise.all([
    budgetOf(env, workspaceId),
    createDb(env.DB)
      .select({ cost: chatWorkspaceCosts.costNanoUsd })
      .from(chatWorkspaceCosts)
      .where(and(eq(chatWorkspaceCosts.workspaceId, workspaceId), eq(chatWorkspaceCosts.month, monthOf(now)))),
  ]);
  const spentNanoUsd = row?.cost ?? 0;
  return { budget, spentNanoUsd, exhausted: budget.monthlyNanoUsd > 0 && spentNanoUsd >= budget.monthlyNanoUsd };
}

/** True for exactly one caller per workspace and month: the one whose turn tells the founder. */
export async function claimBudgetNotice(env: Pick<Env, "DB">, workspaceId: string, now = Date.now()): Promise<boolean> {
  const claimed = await createDb(env.DB)
    .update(chatWorkspaceCosts)
    .set({ budgetNotifiedAt: now })
    .where(
      and(
        eq(chatWorkspaceCosts.workspaceId, workspaceId),
        eq(chatWorkspaceCosts.month, monthOf(now)),
        isNull(chatWorkspaceCosts.budgetNotifiedAt),
      ),
    )
    .returning({ at: chatWorkspaceCosts.budgetNotifiedAt });
  return claimed.length > 0;
}
