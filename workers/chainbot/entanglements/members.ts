/**
 * What the entanglement routes ask the AgentRegistry: an agent as a member (it must exist and not be
 * terminated), and whether the agents of a message are still alive.
 */
import { agentRegistry } from "../../../durable-objects/agent-registry-client";
import type { MemberInput } from "../../../durable-objects/entanglement-contract";
import type { Env } from "../../platform/env";
import { AppError, unwrap } from "../../platform/errors";

function terminated(agentId: string, field: string): AppError {
  return new AppError(409, "agent_terminated", `${field}: agent '${agentId}' is terminated`, {
    field,
    agent_id: agentId,
  });
}

/** The agent as a member; 404 for an unknown one, 409 for a terminated one. */
export async function memberOf(env: Env, agentId: string, field: string): Promise<MemberInput> {
  const { agent } = unwrap(await agentRegistry(env).get(agentId));
  if (agent.status === "terminated") throw terminated(agentId, field);
  return { agent_id: agent.id, agent_type: agent.agent_type, name: agent.name };
}

/** Refuses a message whose sender or receiver has been terminated since it joined. */
export async function requireLive(env: Env, agents: { id: string; field: string }[]): Promise<void> {
  const statuses = await agentRegistry(env).statuses(agents.map((a) => a.id));
  for (const a of agents) if (statuses[a.id] === "terminated") throw terminated(a.id, a.field);
}
