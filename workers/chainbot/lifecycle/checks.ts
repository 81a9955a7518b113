/**
 * ChainBot's engine health checks, each measured, never assumed:
 * - `workflow_orchestrator` from the D1 execution index: executions still running past their deadline (their
 *   object's alarm is overdue: stuck) and the failure rate of the executions that finished in the last hour;
 * - `agent_spawner`: an agent registry round trip (reachable, latency) and the headroom left under
 *   `agents.max_total_instances`;
 * - `entanglement_manager`: a probe read of the entanglement directory (reachable, latency) and the share of
 *   agents' tasks (entanglement answers, agent_task steps) that failed in the last hour.
 * While the module is stopped each reports `stopped`, still with its measured score.
 */
import { and, count, eq, gte, isNotNull, lt } from "drizzle-orm";
import { agentRegistry } from "../../../durable-objects/agent-registry-client";
import { loadChainbotConfig } from "../config/load";
import { createDb } from "../../platform/db/client";
import { chainbotExecutions } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import { type ComponentHealth, latencyScore, round2 } from "./health-score";
import type { ModuleState } from "./state";

/** A running execution this long past its deadline is stuck: its alarm should have failed it by then. */
export const STUCK_GRACE_MS = 60_000;
/** The window whose finished executions give the error rate. */
export const ERROR_WINDOW_MS = 3_600_000;
/** Each stuck execution costs this much of the orchestrator's score (at most half of it in all). */
const STUCK_PENALTY = 0.25;

/** healthy at 0.9 and above, degraded from 0.5, unhealthy below; `stopped` while the module is. */
export function statusOf(score: number, module: ModuleState | null): ComponentHealth["status"] {
  if (module?.status === "stopped") return "stopped";
  return score >= 0.9 ? "healthy" : score >= 0.5 ? "degraded" : "unhealthy";
}

export async function orchestratorCheck(env: Env, module: ModuleState | null): Promise<ComponentHealth> {
  const now = Date.now();
  const t = chainbotExecutions;
  const db = createDb(env.DB);
  const [stuckRows, finished] = await Promise.all([
    db
      .select({ n: count() })
      .from(t)
      .where(and(eq(t.status, "running"), isNotNull(t.deadlineAt), lt(t.deadlineAt, now - STUCK_GRACE_MS))),
    db
      .select({ status: t.status, n: count() })
      .from(t)
      .where(and(isNotNull(t.finishedAt), gte(t.finishedAt, now - ERROR_WINDOW_MS)))
      .groupBy(t.status),
  ]);
  const stuck = stuckRows[0]?.n ?? 0;
  const failed = finished.find((r) => r.status === "failed")?.n ?? 0;
  const completed = finished.find((r) => r.status === "completed")?.n ?? 0;
  // Cancelled runs are a person's choice, not the engine's failure.
  const errorRate = failed + completed === 0 ? 0 : round2(failed / (failed + completed));
  const score = round2(Math.max(0, 1 - Math.min(0.5, stuck * STUCK_PENALTY) - errorRate / 2));
  return {
    status: statusOf(score, module),
    score,
    facts: { stuck_executions: stuck, finished_last_hour: failed + completed, error_rate: errorRate },
  };
}

export async function agentSpawnerCheck(env: Env, module: ModuleState | null): Promise<ComponentHealth> {
  const start = Date.now();
  const counts = await agentRegistry(env).counts();
  const latency = Date.now() - start;
  const limit = (await loadChainbotConfig(env)).values["agents.max_total_instances"];
  const live = counts.idle + counts.working;
  const headroom = round2(Math.max(0, limit - live) / limit);
  // At the limit no agent can be spawned: the spawner is up but cannot do its job.
  const score = round2(Math.min(latencyScore(latency), headroom === 0 ? 0.5 : 1));
  return {
    status: statusOf(score, module),
    score,
    latency_ms: latency,
    facts: { live_agents: live, max_total_instances: limit, headroom },
    ...(headroom === 0 ? { detail: `at agents.max_total_instances (${limit}): no agent can be spawned` } : {}),
  };
}

export async function entanglementCheck(env: Env, module: ModuleState | null): Promise<ComponentHealth> {
  const start = Date.now();
  const registry = agentRegistry(env);
  await registry.listEntanglements({ limit: 1 });
  const latency = Date.now() - start;
  const outcomes = await registry.taskOutcomes(Date.now() - ERROR_WINDOW_MS);
  const tasks = outcomes.ok + outcomes.failed;
  const failureRate = tasks === 0 ? 0 : round2(outcomes.failed / tasks);
  // Agents' tasks (entanglement answers, agent_task steps) failing costs half their failure rate.
  const score = round2(Math.min(latencyScore(latency), 1 - failureRate / 2));
  return {
    status: statusOf(score, module),
    score,
    latency_ms: latency,
    facts: { tasks_last_hour: tasks, failed_last_hour: outcomes.failed, failure_rate: failureRate },
  };
}
