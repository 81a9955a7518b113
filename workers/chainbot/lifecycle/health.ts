/**
 * ChainBot's health in the seed's shape: an overall status and `health_score` (0.0–1.0) from four components
 * — `database` (a real D1 round trip and its latency), `workflow_orchestrator`, `agent_spawner` and
 * `entanglement_manager` (checks.ts) — plus the edge devices' state when there are any. The overall score is
 * the mean of the scored components; the worst status wins. A check that throws is its component's
 * `unhealthy` with score 0, never a 500.
 */
import { count } from "drizzle-orm";
import { createDb } from "../../platform/db/client";
import { edgeDevices } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import { agentSpawnerCheck, entanglementCheck, orchestratorCheck } from "./checks";
import { type ComponentHealth, latencyScore, round2 } from "./health-score";
import type { ModuleState } from "./state";

export { DB_FAST_MS, DB_SLOW_MS, latencyScore, type ComponentHealth, type ComponentStatus } from "./health-score";

export const COMPONENTS = ["database", "workflow_orchestrator", "agent_spawner", "entanglement_manager"] as const;
export type ComponentName = (typeof COMPONENTS)[number];

/** `module` is null when the lifecycle state itself could not be read. */
export type ComponentCheck = (env: Env, module: ModuleState | null) => Promise<ComponentHealth>;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function databaseCheck(env: Env): Promise<ComponentHealth> {
  const start = Date.now();
  try {
    await env.DB.prepare("SELECT 1").first();
    const latency = Date.now() - start;
    const score = latencyScore(latency);
    return { status: score === 1 ? "healthy" : "degraded", score, latency_ms: latency };
  } catch (err) {
    return { status: "unhealthy", score: 0, latency_ms: Date.now() - start, detail: message(err) };
  }
}

export const COMPONENT_CHECKS: Record<ComponentName, ComponentCheck> = {
  database: (env) => databaseCheck(env),
  workflow_orchestrator: orchestratorCheck,
  agent_spawner: agentSpawnerCheck,
  entanglement_manager: entanglementCheck,
};

export interface EdgeDevicesHealth {
  online: number;
  offline: number;
  over_temperature: number;
}

export interface ChainbotHealth {
  status: "healthy" | "degraded" | "unhealthy";
  health_score: number;
  components: Record<ComponentName, ComponentHealth>;
  /** The edge devices (the seed's Raspberry Pi monitoring); null when none is known or D1 cannot tell. */
  edge_devices: EdgeDevicesHealth | null;
}

async function edgeDevicesHealth(env: Env): Promise<EdgeDevicesHealth | null> {
  try {
    const rows = await createDb(env.DB)
      .select({ online: edgeDevices.online, hot: edgeDevices.overTemperature, n: count() })
      .from(edgeDevices)
      .groupBy(edgeDevices.online, edgeDevices.overTemperature);
    if (rows.length === 0) return null;
    const sum = (pick: (r: (typeof rows)[number]) => boolean) => rows.filter(pick).reduce((a, r) => a + r.n, 0);
    return { online: sum((r) => r.online), offline: sum((r) => !r.online), over_temperature: sum((r) => r.hot) };
  } catch {
    // The database component already reports an unreachable D1.
    return null;
  }
}

/** Runs every check; a check that throws is that component's `unhealthy` with the error, never a 500. */
export async function chainbotHealth(
  env: Env,
  module: ModuleState | null,
  checks: Record<ComponentName, ComponentCheck> = COMPONENT_CHECKS,
): Promise<ChainbotHealth> {
  const [results, edge] = await Promise.all([
    Promise.all(
      COMPONENTS.map(async (name): Promise<ComponentHealth> => {
        try {
          return await checks[name](env, module);
        } catch (err) {
          return { status: "unhealthy", score: 0, detail: message(err) };
        }
      }),
    ),
    edgeDevicesHealth(env),
  ]);
  const components = Object.fromEntries(COMPONENTS.map((n, i) => [n, results[i]])) as Record<
    ComponentName,
    ComponentHealth
  >;
  const scores = results.flatMap((r) => (r.score === null ? [] : [r.score]));
  // With no component scored there is no evidence either way; the database always is, so this is theoretical.
  const score = scores.length === 0 ? 0 : round2(scores.reduce((a, b) => a + b, 0) / scores.length);
  const status = results.some((r) => r.status === "unhealthy")
    ? "unhealthy"
    : results.some((r) => r.status === "degraded")
      ? "degraded"
      : "healthy";
  return { status, health_score: score, components, edge_devices: edge };
}
