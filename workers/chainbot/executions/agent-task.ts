/**
 * The `agent_task` step. A spawned agent takes it when the agents registry (the `spawnedAgents` seam in the
 * execution contract) says it handled it; otherwise it runs on an ephemeral agent: one model-gateway call
 * (caller `chainbot`) with the agent type's role as the system prompt and the task, the step's config and
 * the execution input as the user turn. The answer's JSON object is the step's output (so
 * `${step1.quality_score}` reads a field the model returned); an answer without one is `{result: text}`.
 */
import { spawnedAgents } from "../../../durable-objects/workflow-execution-contract";
import type { Env } from "../../platform/env";
import type { GatewayModel } from "../../platform/model-port";
import { renderValue } from "../expressions/templates";
import type { Step } from "../workflows/definition-schema";
import type { LeafCall } from "./control";
import { ExecError } from "./step-errors";

const ROLES: Record<string, string> = {
  assistant: "You are an assistant agent: conversation, task execution and reasoning.",
  data_processor: "You are a data processor agent: data processing, analysis and reporting.",
  api: "You are an API agent: API calls, integration and webhooks.",
  workflow: "You are a workflow agent: workflow management, orchestration and monitoring.",
};

/** The last JSON object in the text (models often wrap the answer in prose), or null. */
export function lastJsonObject(text: string): Record<string, unknown> | null {
  for (let start = text.lastIndexOf("{"); start >= 0; start = text.lastIndexOf("{", start - 1)) {
    for (let end = text.lastIndexOf("}"); end > start; end = text.lastIndexOf("}", end - 1)) {
      try {
        const value: unknown = JSON.parse(text.slice(start, end + 1));
        if (value !== null && typeof value === "object" && !Array.isArray(value))
          return value as Record<string, unknown>;
      } catch {
        // not this span: try a shorter one
      }
    }
    if (start === 0) break;
  }
  return null;
}

function statusOf(err: unknown): number | undefined {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === "number" ? s : undefined;
}

export async function runAgentTask(
  env: Env,
  model: GatewayModel,
  step: Extract<Step, { type: "agent_task" }>,
  at: LeafCall,
): Promise<unknown> {
  const rendered = renderValue(
    { task: step.task ?? null, prompt: step.prompt ?? null, config: step.config ?? {} },
    at.vars,
  );
  if (!rendered.ok) throw new ExecError("template_error", rendered.message, false);
  const r = rendered.value as { task: string | null; prompt: string | null; config: Record<string, unknown> };
  const task = [r.task, r.prompt].filter((t): t is string => typeof t === "string").join("\n\n");
  const input = (at.vars.input ?? {}) as Record<string, unknown>;
  if (spawnedAgents.has() || step.agent_id !== undefined) {
    if (!spawnedAgents.has())
      throw new ExecError("agent_unavailable", `agent '${step.agent_id ?? ""}' cannot be reached`, false);
    const done = await spawnedAgents.get().runTask(env, {
      agentId: step.agent_id,
      agentType: step.agent_type,
      task,
      input,
      config: r.config,
      executionId: at.executionId,
      stepKey: at.key,
      attempt: at.attempt,
      signal: at.signal,
    });
    if (done.handled) return done.output;
    if (step.agent_id !== undefined)
      throw new ExecError("agent_unavailable", `agent '${step.agent_id}' did not take the task`, false);
  }
  const role = ROLES[step.agent_type ?? "assistant"] ?? ROLES.assistant;
  const fn = typeof r.config.function === "string" ? r.config.function : "chat";
  const user = `Task: ${task}\nConfig: ${JSON.stringify(r.config)}\nInput: ${JSON.stringify(input)}`;
  let reply;
  try {
    reply = await model.complete(
      env,
      { waitUntil: (w) => at.waitUntil(w) },
      {
        functionName: fn,
        system: `${role} Do the task and answer with one JSON object holding your results.`,
        messages: [{ role: "user", content: [{ type: "text", text: user }] }],
        workspace: "chainbot",
        caller: "chainbot",
      },
    );
  } catch (err) {
    const status = statusOf(err);
    const message = err instanceof Error ? err.message : String(err);
    // The gateway refusing the call (bad config, unknown function) will refuse it again; 429 and 5xx may pass.
    if (status !== undefined && status < 500 && status !== 429 && status !== 408)
      throw new ExecError("agent_refused", message, false);
    throw new ExecError("agent_error", message);
  }
  const text = reply.content.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("");
  return lastJsonObject(text) ?? { result: text };
}
