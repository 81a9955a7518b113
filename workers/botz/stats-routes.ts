/**
 * `GET /v1/stats` and the same figures as gauges for `/metrics`.
 */
import { createRoute } from "@hono/zod-openapi";
import { requireScope } from "../platform/auth/middleware";
import type { Env } from "../platform/env";
import { botzClaimsLastHour, botzClaimToComplete, botzInstances, botzWorkItems } from "../platform/metrics/catalog";
import type { GaugeSample } from "../platform/metrics/exposition";
import { bearerSecurity, errorResponses, jsonContent } from "../platform/openapi";
import { createRouter } from "../platform/validation";
import { WORK_ITEM_STATUSES } from "../../durable-objects/botz-registry-model";
import { botzRegistry } from "../../durable-objects/botz-registry-client";
import { StatsSchema } from "./schemas";

const stats = createRoute({
  method: "get",
  path: "/v1/stats",
  tags: ["botz"],
  summary: "Ecosystem statistics",
  security: bearerSecurity,
  middleware: [requireScope("botz:read")] as const,
  responses: { 200: { description: "Statistics", ...jsonContent(StatsSchema) }, ...errorResponses(401, 403) },
});

export const statsRoutes = createRouter().openapi(stats, async (c) => c.json(await botzRegistry(c.env).stats(), 200));

/** The registry's figures as gauges; every work item status is present, zero included. */
export async function botzGauges(env: Env): Promise<GaugeSample[]> {
  const s = await botzRegistry(env).stats();
  const samples: GaugeSample[] = s.instances_by_status_and_skill.map((p) => ({
    family: botzInstances,
    labels: { status: p.status, skill_level: p.skill_level },
    value: p.count,
  }));
  for (const status of WORK_ITEM_STATUSES)
    samples.push({ family: botzWorkItems, labels: { status }, value: s.work_items.by_status[status] ?? 0 });
  samples.push({ family: botzClaimsLastHour, value: s.claims_last_hour });
  if (s.mean_claim_to_complete_seconds !== null)
    samples.push({ family: botzClaimToComplete, value: s.mean_claim_to_complete_seconds });
  return samples;
}
