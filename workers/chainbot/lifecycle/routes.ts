/**
 * ChainBot's module routes: `GET /api/chainbot/info` (chainbot:read) in the seed's shape, `POST
 * /api/chainbot/stop` and `/start` (chainbot:admin, audited; stopping refuses new executions, running ones
 * go on) and `GET /api/chainbot/health` (chainbot:read; 503 when a component is unhealthy; the checks are
 * in health.ts and checks.ts). A lifecycle
 * state that cannot be read makes the module's status `error`, never a 500.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { requireScope } from "../../platform/auth/middleware";
import { readConfig } from "../../platform/config";
import type { Env } from "../../platform/env";
import { logFor } from "../../platform/logger";
import { bearerSecurity, errorResponses, jsonContent } from "../../platform/openapi";
import { createRouter } from "../../platform/validation";
import { auditDetail, auditTrail } from "../audit/record";
import { chainbotHealth, COMPONENTS } from "./health";
import { MODULE_ID, type ModuleState, readModuleState, setModuleStatus } from "./state";

const tags = ["chainbot"];

const ComponentSchema = z.object({
  status: z.enum(["healthy", "degraded", "unhealthy", "stopped", "not_started"]),
  score: z.number().min(0).max(1).nullable(),
  latency_ms: z.number().optional(),
  detail: z.string().optional(),
  facts: z.record(z.string(), z.number()).optional().openapi({ description: "The measured figures behind the score" }),
});

const HealthSchema = z
  .object({
    status: z.enum(["healthy", "degraded", "unhealthy"]),
    health_score: z.number().min(0).max(1),
    module_status: z.enum(["running", "stopped", "error"]),
    components: z.object(Object.fromEntries(COMPONENTS.map((n) => [n, ComponentSchema]))),
    edge_devices: z
      .object({ online: z.number().int(), offline: z.number().int(), over_temperature: z.number().int() })
      .nullable()
      .openapi({ description: "The edge devices (Raspberry Pi monitoring); null when none is known" }),
  })
  .openapi("ChainbotHealth");

const InfoSchema = z
  .object({
    module_id: z.literal(MODULE_ID),
    version: z.string(),
    status: z.enum(["running", "stopped", "error"]),
    started_at: z.string().nullable(),
    stopped_at: z.string().nullable(),
    health_score: z.number().min(0).max(1),
    changed: z.boolean().optional().openapi({ description: "stop/start only: whether the status changed" }),
  })
  .openapi("ChainbotInfo");

const reader = [requireScope("chainbot:read")] as const;

const info = createRoute({
  method: "get",
  path: "/api/chainbot/info",
  tags,
  summary: "ChainBot module info: id, version, status (running | stopped | error), started_at, health_score",
  security: bearerSecurity,
  middleware: [auditTrail("module.info", { failuresOnly: true }), ...reader] as const,
  responses: { 200: { description: "Module info", ...jsonContent(InfoSchema) }, ...errorResponses(401, 403) },
});

const health = createRoute({
  method: "get",
  path: "/api/chainbot/health",
  tags,
  summary: "ChainBot health: overall status and score, and each component's",
  security: bearerSecurity,
  middleware: [auditTrail("module.health", { failuresOnly: true }), ...reader] as const,
  responses: {
    200: { description: "Healthy or degraded", ...jsonContent(HealthSchema) },
    503: { description: "A component is unhealthy", ...jsonContent(HealthSchema) },
    ...errorResponses(401, 403),
  },
});

function lifecycleRoute(action: "stop" | "start") {
  return createRoute({
    method: "post",
    path: `/api/chainbot/${action}`,
    tags,
    summary:
      action === "stop"
        ? "Stop ChainBot: new executions are refused; running ones continue"
        : "Start ChainBot again: new executions are accepted",
    security: bearerSecurity,
    middleware: [auditTrail(`module.${action}`, { resource: () => "module" }), requireScope("chainbot:admin")] as const,
    responses: {
      200: { description: "Module info after the change", ...jsonContent(InfoSchema) },
      ...errorResponses(401, 403),
    },
  });
}

async function moduleState(
  env: Env,
  log: (m: string, f: Record<string, unknown>) => void,
): Promise<ModuleState | null> {
  try {
    return await readModuleState(env);
  } catch (err) {
    log("reading chainbot module state failed", { error: err instanceof Error ? err.message : String(err) });
    return null;
  }
}

function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

async function infoOf(env: Env, state: ModuleState | null): Promise<z.infer<typeof InfoSchema>> {
  const { health_score } = await chainbotHealth(env, state);
  return {
    module_id: MODULE_ID,
    version: readConfig(env).componentVersion,
    status: state?.status ?? ("error" as const),
    started_at: iso(state?.startedAt),
    stopped_at: iso(state?.status === "stopped" ? state.stoppedAt : null),
    health_score,
  };
}

export const chainbotLifecycleRoutes = createRouter()
  .openapi(info, async (c) => {
    const state = await moduleState(c.env, (m, f) => logFor(c).error(m, f));
    return c.json(await infoOf(c.env, state), 200);
  })
  .openapi(health, async (c) => {
    const state = await moduleState(c.env, (m, f) => logFor(c).error(m, f));
    const report = await chainbotHealth(c.env, state);
    const body = { ...report, module_status: state?.status ?? ("error" as const) };
    return report.status === "unhealthy" ? c.json(body, 503) : c.json(body, 200);
  })
  .openapi(lifecycleRoute("stop"), async (c) => {
    const { before, after } = await setModuleStatus(c.env, "stopped", c.get("principal").sub);
    auditDetail(c, { before: before.status, after: after.status });
    return c.json({ ...(await infoOf(c.env, after)), changed: before.status !== after.status }, 200);
  })
  .openapi(lifecycleRoute("start"), async (c) => {
    const { before, after } = await setModuleStatus(c.env, "running", c.get("principal").sub);
    auditDetail(c, { before: before.status, after: after.status });
    return c.json({ ...(await infoOf(c.env, after)), changed: before.status !== after.status }, 200);
  });
