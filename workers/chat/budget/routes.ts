/**
 * Workspace costs and budgets: `GET /api/v1/chat/workspaces/{id}/costs` (the workspace's owner, or admin;
 * 404 to anyone else) and `PUT /api/v1/chat/workspaces/{id}/budget` (admin) setting its monthly budget.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { requireScope } from "../../platform/auth/middleware";
import { grants } from "../../platform/auth/scopes";
import { bearerSecurity, errorResponses, jsonContent } from "../../platform/openapi";
import { createRouter } from "../../platform/validation";
import { recordAccess } from "../audit";
import { admit, chatAuth } from "../enforcer";
import { SURFACES } from "../surfaces";
import { WorkspaceParamSchema } from "../sync/routes";
import { ownsWorkspace, workspaceNotFound } from "../sync/workspace-owner";
import { budgetState, costHistory, monthOf, setBudget, toUsd, type BudgetState, type MonthCosts } from "./costs";
import { OVER_BUDGET_MAX_TIER } from "./budget-gate";

const tags = ["chat"];

const MonthSchema = z.object({
  month: z.string().openapi({ example: "2026-12" }),
  cost_usd: z.number(),
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  turns: z.number().int(),
});

const BudgetSchema = z.object({
  monthly_usd: z.number().openapi({ description: "0 = no budget" }),
  source: z
    .enum(["workspace", "default"])
    .openapi({ description: "Set for this workspace, or CHAT_MONTHLY_BUDGET_USD" }),
  spent_usd: z.number(),
  remaining_usd: z.number().nullable(),
  exhausted: z.boolean(),
  /** While exhausted: the highest model tier the workspace's turns may use. */
  max_tier: z.enum(["local", "free", "plans", "cloud"]).nullable(),
});

const CostsSchema = z
  .object({
    workspace_id: z.string(),
    /** The current UTC month. */
    current: MonthSchema,
    budget: BudgetSchema,
    /** Newest first, at most 12 months. */
    months: z.array(MonthSchema),
  })
  .openapi("WorkspaceCosts");

const BudgetBodySchema = z
  .object({
    monthly_usd: z
      .number()
      .min(0)
      .max(1_000_000)
      .nullable()
      .openapi({ description: "USD per UTC month; 0 = no budget; null = back to CHAT_MONTHLY_BUDGET_USD" }),
  })
  .openapi("WorkspaceBudgetRequest");

const costs = createRoute({
  method: "get",
  path: "/api/v1/chat/workspaces/{id}/costs",
  tags,
  summary: "A workspace's chat costs per month and its budget (its owner, or admin)",
  security: bearerSecurity,
  middleware: [chatAuth("chat:read")] as const,
  request: { params: WorkspaceParamSchema, query: z.object({ surface: z.enum(SURFACES).default("web") }) },
  responses: {
    200: { description: "Costs and budget", ...jsonContent(CostsSchema) },
    ...errorResponses(400, 401, 403, 404),
  },
});

const budget = createRoute({
  method: "put",
  path: "/api/v1/chat/workspaces/{id}/budget",
  tags,
  summary: "Set a workspace's monthly chat budget (admin); spent, its turns keep to the local and free tiers",
  security: bearerSecurity,
  middleware: [requireScope("admin")] as const,
  request: { params: WorkspaceParamSchema, body: { required: true, ...jsonContent(BudgetBodySchema) } },
  responses: {
    200: { description: "Costs and the budget now in force", ...jsonContent(CostsSchema) },
    ...errorResponses(400, 401, 403, 415),
  },
});

function monthOut(m: MonthCosts) {
  return {
    month: m.month,
    cost_usd: toUsd(m.costNanoUsd),
    input_tokens: m.inputTokens,
    output_tokens: m.outputTokens,
    turns: m.turns,
  };
}

function present(workspaceId: string, state: BudgetState, months: MonthCosts[]) {
  const month = monthOf(Date.now());
  const current = months.find((m) => m.month === month);
  const limit = state.budget.monthlyNanoUsd;
  return {
    workspace_id: workspaceId,
    current: current ? monthOut(current) : { month, cost_usd: 0, input_tokens: 0, output_tokens: 0, turns: 0 },
    budget: {
      monthly_usd: toUsd(limit),
      source: state.budget.source,
      spent_usd: toUsd(state.spentNanoUsd),
      remaining_usd: limit > 0 ? toUsd(Math.max(0, limit - state.spentNanoUsd)) : null,
      exhausted: state.exhausted,
      max_tier: state.exhausted ? OVER_BUDGET_MAX_TIER : null,
    },
    months: months.map(monthOut),
  };
}

export const budgetRoutes = createRouter()
  .openapi(costs, async (c) => {
    const { id } = c.req.valid("param");
    const { caller } = await admit(c, "chat:read", c.req.valid("query").surface);
    if (!grants(caller.scopes, "admin") && !(await ownsWorkspace(c.env, caller, id))) throw workspaceNotFound(id);
    const [state, months] = await Promise.all([budgetState(c.env, id), costHistory(c.env, id)]);
    return c.json(present(id, state, months), 200);
  })
  .openapi(budget, async (c) => {
    const { id } = c.req.valid("param");
    const { monthly_usd } = c.req.valid("json");
    const by = c.get("principal").sub;
    await setBudget(c.env, id, monthly_usd, by);
    await recordAccess(c.env, {
      workspaceId: id,
      operation: "admin:workspace_budget",
      outcome: "allowed",
      detail: `budget ${monthly_usd === null ? "reset to the default" : `set to ${monthly_usd} USD`} by ${by}`,
    });
    const [state, months] = await Promise.all([budgetState(c.env, id), costHistory(c.env, id)]);
    return c.json(present(id, state, months), 200);
  });
