/**
 * How an assistant agent answers a `task` sent to it in an entanglement: one completion of its model
 * gateway function (in-process, caller `chainbot`) with its personality as the system prompt. The agent is
 * `working` for the duration. Any failure comes back as a masked reason, which the Entanglement object turns
 * into an `error` message to the sender. The Worker entry provides this to the object (agentTaskAnswerer).
 */
import { agentRegistry } from "../../../durable-objects/agent-registry-client";
import type { AnswerTask } from "../../../durable-objects/entanglement-contract";
import type { GatewayModel } from "../../platform/model-port";
import { maskString } from "../audit/mask";
import { agentSystemPrompt } from "../agents/prompts";
import { AssistantConfigSchema } from "../agents/schemas";

const MAX_ERROR_CHARS = 500;

function failure(reason: string): { ok: false; error: string } {
  return { ok: false, error: maskString(reason).slice(0, MAX_ERROR_CHARS) };
}

export function assistantAnswerer(model: GatewayModel): AnswerTask {
  return async (env, deferrer, task) => {
    const registry = agentRegistry(env);
    const begun = await registry.beginWork(task.agent_id);
    if (!begun.ok) return failure(`agent ${task.agent_id} cannot answer: ${begun.message}`);
    let answered: Awaited<ReturnType<AnswerTask>> = failure("the answer was not produced");
    try {
      const config = AssistantConfigSchema.safeParse(begun.agent.config);
      if (!config.success) {
        answered = failure(`agent ${task.agent_id} has no usable assistant config`);
        return answered;
      }
      const reply = await model.complete(env, deferrer, {
        functionName: config.data.function_name,
        system: `${agentSystemPrompt(begun.agent)}\nAnswer the task you are given, working with the other agents of your entanglement.`,
        messages: [{ role: "user", content: [{ type: "text", text: task.content }] }],
        maxTokens: config.data.max_tokens,
        workspace: "chainbot",
        caller: "chainbot",
      });
      const text = reply.content
        .flatMap((b) => (b.type === "text" ? [b.text] : []))
        .join("")
        .trim();
      answered = text === "" ? failure("the model answered with no text") : { ok: true, content: text };
    } catch (err) {
      answered = failure(`the model call failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      // The outcome counts in the entanglement manager's health (failed answers over the last hour).
      await registry.endWork(task.agent_id, answered.ok ? "ok" : "error");
    }
    return answered;
  };
}
