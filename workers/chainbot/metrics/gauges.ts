/**
 * `/metrics` gauges for ChainBot, the same numbers `GET /api/chainbot/metrics` answers: `chainbot_workflows`,
 * `chainbot_executions{status}` and `chainbot_agents{status}`.
 */
import { agentRegistry } from "../../../durable-objects/agent-registry-client";
import { EXECUTION_STATUSES } from "../../../durable-objects/workflow-execution-contract";
import type { Env } from "../../platform/env";
import { chainbotAgentsGauge, chainbotExecutionsGauge, chainbotWorkflowsGauge } from "../../platform/metrics/catalog";
import type { GaugeSample } from "../../platform/metrics/exposition";
import { definitionCount, executionCounts } from "./collect";

const AGENT_STATUSES = ["idle", "working", "terminated"] as const;

export async function chainbotGauges(env: Env): Promise<GaugeSample[]> {
  const [defs, execs, agents] = await Promise.all([
    definitionCount(env),
    executionCounts(env),
    agentRegistry(env).counts(),
  ]);
  return [
    { family: chainbotWorkflowsGauge, labels: {}, value: defs },
    ...EXECUTION_STATUSES.map((status) => ({
      family: chainbotExecutionsGauge,
      labels: { status },
      value: execs[status],
    })),
    ...AGENT_STATUSES.map((status) => ({ family: chainbotAgentsGauge, labels: { status }, value: agents[status] })),
  ];
}
