/**
 * ChainBot's health in the seed's shape: an overall status and `health_score` (0.0–1.0) from four components
 * — `database`, `workflow_orchestrator`, `agent_spawner`, `entanglement_manager`. Only what can be measured
 * is scored: the database from a real D1 round trip and its latency. A component whose engine is not built
 * yet has no check; it reports what the lifecycle says (`not_started` while running, `stopped` while
 * stopped) with `score: null`, and the overall score is the mean of the scored components only — no number
 * is made up. The engine plugs its checks in through `COMPONENT_CHECKS`.
 */
import type { Env } from "../../platform/env";
import type { ModuleState } from "./state";

export const COMPONENTS = ["database", "workflow_orchestrator", "agent_spawner", "entanglement_manager"] as const;
export type ComponentName = (typeof COMPONENTS)[number];

export type ComponentStatus = "healthy" | "degraded" | "unhealthy" | "stopped" | "not_started";

export interface ComponentHealth {
  status: ComponentStatus;
  /** 0.0–1.0, or null when nothing is measured for this component. */
  score: number | null;
  latency_ms?: number;
  detail?: string;
}

/** `module` is null when the lifecycle state itself could not be read. */
export type ComponentCheck = (env: Env, module: ModuleState | null) => Promise<ComponentHealth>;

/** A D1 round trip this fast or faster scores 1.0; the score falls linearly to FLOOR at SLOW_MS and stays there. */
export const DB_FAST_MS = 200;
export const DB_SLOW_MS = 2_000;
const DB_FLOOR = 0.5;

export function latencyScore(ms: number): number {
  if (ms <= DB_FAST_MS) return 1;
  const fraction = Math.min(1, (ms - DB_FAST_MS) / (DB_SLOW_MS - DB_FAST_MS));
  return round2(1 - fraction * (1 - DB_FLOOR));
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

export async function databaseCheck(env: Env): Promise<ComponentHealth> {
  const start = Date.now();
  try {
    await env.DB.prepare("SELECT 1").first();
    const latency = Date.now() - start;
    const score = latencyScore(latency);
    return { status: score === 1 ? "healthy" : "degraded", score, latency_ms: latency };
  } catch (err) {
    return {
      status: "unhealthy",
      score: 0,
      latency_ms: Date.now() - start,
      detail: err instanceof Error ? err.message : String(err),
    };
  }
}

/** Until the engine supplies a check: the lifecycle's word, unscored. */
function notBuilt(component: string): ComponentCheck {
  return (_env, module) =>
    Promise.resolve({
      status: module?.status === "stopped" ? "stopped" : "not_started",
      score: null,
      detail: `no ${component} in this build yet; nothing to measure`,
    });
}

export const COMPONENT_CHECKS: Record<ComponentName, ComponentCheck> = {
  database: (env) => databaseCheck(env),
  workflow_orchestrator: notBuilt("workflow engine"),
  agent_spawner: notBuilt("agent spawner"),
  entanglement_manager: notBuilt("entanglement manager"),
};

export interface ChainbotHealth {
  status: "healthy" | "degraded" | "unhealthy";
  health_score: number;
  components: Record<ComponentName, ComponentHealth>;
}

/** Runs every check; a check that throws is that component's `unhealthy` with the error, never a 500. */
export async function chainbotHealth(
  env: Env,
  module: ModuleState | null,
  checks: Record<ComponentName, ComponentCheck> = COMPONENT_CHECKS,
): Promise<ChainbotHealth> {
  const results = await Promise.all(
    COMPONENTS.map(async (name): Promise<ComponentHealth> => {
      try {
        return await checks[name](env, module);
      } catch (err) {
        return { status: "unhealthy", score: 0, detail: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
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
  return { status, health_score: score, components };
}
