/**
 * What a spawned agent tells the model it is: its type's role and the configuration the seed gives that
 * type (an assistant's personality, style and knowledge base; a data processor's processing type, algorithms
 * and output format; a workflow agent's engine and monitoring rules). An api agent's credentials never reach
 * a prompt: that type answers tasks over HTTP, not through the model.
 */
import type { Agent } from "../../../durable-objects/agent-registry-model";
import { AssistantConfigSchema, DataProcessorConfigSchema, WorkflowAgentConfigSchema } from "./schemas";

export const AGENT_ROLES: Record<string, string> = {
  assistant: "You are an assistant agent: conversation, task execution and reasoning.",
  data_processor: "You are a data processor agent: data processing, analysis and reporting.",
  api: "You are an API agent: API calls, integration and webhooks.",
  workflow: "You are a workflow agent: workflow management, orchestration and monitoring.",
};

/** The model gateway function an agent's work runs (an assistant's own, else `chat`). */
export function agentFunction(agent: Agent): string {
  const parsed = AssistantConfigSchema.safeParse(agent.config);
  return agent.agent_type === "assistant" && parsed.success ? parsed.data.function_name : "chat";
}

export function agentSystemPrompt(agent: Agent): string {
  const lines = [`You are "${agent.name}", a ChainBot ${agent.agent_type} agent.`, AGENT_ROLES[agent.agent_type] ?? ""];
  if (agent.agent_type === "assistant") {
    const c = AssistantConfigSchema.safeParse(agent.config);
    if (c.success) {
      lines.push(`Personality: ${c.data.personality}`, `Response style: ${c.data.response_style}`);
      if (c.data.knowledge_base.length > 0)
        lines.push("Knowledge base:", ...c.data.knowledge_base.map((k) => `- ${k}`));
    }
  } else if (agent.agent_type === "data_processor") {
    const c = DataProcessorConfigSchema.safeParse(agent.config);
    if (c.success) {
      lines.push(`Processing type: ${c.data.processing_type}`, `Output format: ${c.data.output_format}`);
      if (c.data.algorithms.length > 0) lines.push(`Algorithms: ${c.data.algorithms.join(", ")}`);
    }
  } else if (agent.agent_type === "workflow") {
    const c = WorkflowAgentConfigSchema.safeParse(agent.config);
    if (c.success) {
      lines.push(`Workflow engine: ${c.data.workflow_engine}`);
      for (const rule of c.data.monitoring_rules)
        lines.push(`Monitor (${rule.severity}) ${rule.name}: ${rule.expression}`);
    }
  }
  return lines.filter((l) => l !== "").join("\n");
}
