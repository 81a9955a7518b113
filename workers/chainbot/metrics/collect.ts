/**
 * ChainBot's numbers, for `GET /api/chainbot/metrics` and the `chainbot_*` gauges alike: workflows (the
 * definitions not deleted) and executions by status from the D1 execution index, agents by status from the
 * registry's `counts()`, and the host figures from the edge devices' latest telemetry (the seed's
 * "Raspberry Pi monitoring"). A figure no device reports is null with the reason, never a made-up number.
 */
import { count, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import { agentRegistry } from "../../../durable-objects/agent-registry-client";
import { EXECUTION_STATUSES, type ExecutionStatus } from "../../../durable-objects/workflow-execution-contract";
import { createDb } from "../../platform/db/client";
import { chainbotExecutions, chainbotWorkflows, edgeDevices } from "../../platform/db/schema";
import type { Env } from "../../platform/env";

export interface WorkflowCounts {
  /** Workflow definitions (not deleted). */
  total: number;
  /** Executions running or paused. */
  active: number;
  queued: number;
  completed: number;
  failed: number;
  cancelled: number;
}

export interface AgentCounts {
  total: number;
  idle: number;
  working: number;
  terminated: number;
}

export interface SystemFigures {
  /** Percent, mean over the online devices reporting it; null when none does. */
  cpu_usage: number | null;
  memory_usage: number | null;
  disk_usage: number | null;
  /** Online edge devices with a telemetry reading. */
  devices: number;
  /** Why a figure is null; absent when all three are measured. */
  reason?: string;
}

export interface ChainbotMetrics {
  workflows: WorkflowCounts;
  agents: AgentCounts;
  system: SystemFigures;
}

export async function executionCounts(env: Env): Promise<Record<ExecutionStatus, number>> {
  const rows = await createDb(env.DB)
    .select({ status: chainbotExecutions.status, n: count() })
    .from(chainbotExecutions)
    .groupBy(chainbotExecutions.status);
  const counts = Object.fromEntries(EXECUTION_STATUSES.map((s) => [s, 0])) as Record<ExecutionStatus, number>;
  for (const r of rows) if (r.status in counts) counts[r.status as ExecutionStatus] = r.n;
  return counts;
}

/** Workflow definitions not deleted. */
export async function definitionCount(env: Env): Promise<number> {
  const rows = await createDb(env.DB)
    .select({ n: count() })
    .from(chainbotWorkflows)
    .where(isNull(chainbotWorkflows.deletedAt));
  return rows[0]?.n ?? 0;
}

async function workflowCounts(env: Env): Promise<WorkflowCounts> {
  const [total, execs] = await Promise.all([definitionCount(env), executionCounts(env)]);
  return {
    total,
    active: execs.running + execs.paused,
    queued: execs.queued,
    completed: execs.completed,
    failed: execs.failed,
    cancelled: execs.cancelled,
  };
}

async function agentCounts(env: Env): Promise<AgentCounts> {
  const c = await agentRegistry(env).counts();
  return { total: c.idle + c.working + c.terminated, idle: c.idle, working: c.working, terminated: c.terminated };
}

const readingSchema = z.object({
  data: z.object({
    load: z.object({ one: z.number() }).nullish(),
    cpu_count: z.number().int().min(1).nullish(),
    memory: z.object({ total_bytes: z.number(), available_bytes: z.number() }).nullable(),
    disk: z.object({ total_bytes: z.number(), free_bytes: z.number() }).nullable(),
  }),
});

function mean(values: number[]): number | null {
  if (values.length === 0) return null;
  return Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 10) / 10;
}

function usedPercent(total: number, left: number): number[] {
  return total > 0 ? [(1 - Math.min(left, total) / total) * 100] : [];
}

/**
 * A device's CPU use as the 1-minute load average per core, in percent (capped at 100): what a Pi's agent can
 * report without sampling /proc/stat twice. Needs the core count, which older agents do not send.
 */
function cpuPercent(d: { load?: { one: number } | null | undefined; cpu_count?: number | null | undefined }): number[] {
  if (!d.load || !d.cpu_count) return [];
  return [Math.min(100, (d.load.one / d.cpu_count) * 100)];
}

/** Mean CPU, memory and disk use over the online devices' latest readings. */
export async function systemFigures(env: Env): Promise<SystemFigures> {
  const rows = await createDb(env.DB)
    .select({ telemetry: edgeDevices.telemetry })
    .from(edgeDevices)
    .where(eq(edgeDevices.online, true));
  const readings = rows.flatMap((r) => {
    const parsed = readingSchema.safeParse(r.telemetry);
    return parsed.success ? [parsed.data.data] : [];
  });
  if (readings.length === 0)
    return {
      cpu_usage: null,
      memory_usage: null,
      disk_usage: null,
      devices: 0,
      reason: "no online edge device has reported telemetry",
    };
  const memory = mean(
    readings.flatMap((d) => (d.memory ? usedPercent(d.memory.total_bytes, d.memory.available_bytes) : [])),
  );
  const disk = mean(readings.flatMap((d) => (d.disk ? usedPercent(d.disk.total_bytes, d.disk.free_bytes) : [])));
  const cpu = mean(readings.flatMap(cpuPercent));
  const missing = [cpu === null ? "cpu" : null, memory === null ? "memory" : null, disk === null ? "disk" : null];
  const reason = missing
    .filter((m) => m !== null)
    .map((m) => `${m}_usage: no online device reports it`)
    .join("; ");
  return {
    cpu_usage: cpu,
    memory_usage: memory,
    disk_usage: disk,
    devices: readings.length,
    ...(reason === "" ? {} : { reason }),
  };
}

export async function chainbotMetrics(env: Env): Promise<ChainbotMetrics> {
  const [workflows, agents, system] = await Promise.all([workflowCounts(env), agentCounts(env), systemFigures(env)]);
  return { workflows, agents, system };
}
