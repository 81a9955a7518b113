/**
 * How Worker code reaches ChainBot's AgentRegistry (one object, `default`), plus the lookup workflow
 * executions use for an `agent_task`: take an idle agent of a type (it becomes `working`) and give it back.
 */
import type { Env } from "../workers/platform/env";
import { type RpcOf, stubOf } from "../workers/platform/rpc";
import type { AgentRegistry } from "./agent-registry";
import type { Agent, AgentType } from "./agent-registry-model";

export type AgentRegistryRpc = RpcOf<AgentRegistry>;

export function agentRegistry(env: Pick<Env, "AGENT_REGISTRY">): AgentRegistryRpc {
  return stubOf(env.AGENT_REGISTRY, "default");
}

/** An idle agent of `type`, now marked `working` (its config unmasked, for the engine), or null. */
export function claimIdleAgent(env: Pick<Env, "AGENT_REGISTRY">, type: AgentType): Promise<Agent | null> {
  return agentRegistry(env).claimIdle(type);
}

/** Hands back an agent `claimIdleAgent` (or `beginWork`) took: `idle` again once it runs nothing else. */
export function releaseAgent(
  env: Pick<Env, "AGENT_REGISTRY">,
  agentId: string,
  outcome?: "ok" | "error",
): Promise<void> {
  return agentRegistry(env).endWork(agentId, outcome);
}
