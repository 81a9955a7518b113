/**
 * `GET /api/chainbot/metrics` (chainbot:read) in seed 004's shape: workflows, agents and system figures.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { requireScope } from "../../platform/auth/middleware";
import { bearerSecurity, errorResponses, jsonContent } from "../../platform/openapi";
import { createRouter } from "../../platform/validation";
import { auditTrail } from "../audit/record";
import { chainbotMetrics } from "./collect";

const count = z.number().int().min(0);
const percent = z.number().min(0).max(100).nullable();

const MetricsSchema = z
  .object({
    workflows: z.object({
      total: count.openapi({ description: "Workflow definitions (not deleted)" }),
      active: count.openapi({ description: "Executions running or paused" }),
      queued: count,
      completed: count,
      failed: count,
      cancelled: count,
    }),
    agents: z.object({ total: count, idle: count, working: count, terminated: count }),
    system: z.object({
      cpu_usage: percent,
      memory_usage: percent,
      disk_usage: percent,
      devices: count.openapi({ description: "Online edge devices whose latest telemetry the figures average" }),
      reason: z.string().optional().openapi({ description: "Why a figure is null" }),
    }),
  })
  .openapi("ChainbotMetrics");

const metrics = createRoute({
  method: "get",
  path: "/api/chainbot/metrics",
  tags: ["chainbot"],
  summary: "ChainBot metrics: workflows and executions, agents by status, edge devices' CPU, memory and disk use",
  security: bearerSecurity,
  middleware: [
    auditTrail("module.metrics", { resource: () => "module", failuresOnly: true }),
    requireScope("chainbot:read"),
  ] as const,
  responses: { 200: { description: "The numbers", ...jsonContent(MetricsSchema) }, ...errorResponses(401, 403) },
});

export const chainbotMetricsRoutes = createRouter().openapi(metrics, async (c) =>
  c.json(await chainbotMetrics(c.env), 200),
);
