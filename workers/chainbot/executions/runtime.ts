/**
 * The domain half of a WorkflowExecution object, as the Worker entry provides it (`executionRuntime`): the
 * interpreter with its leaf steps (api_call; agent_task through the given model port) and child starts.
 */
import type { ExecutionRuntime } from "../../../durable-objects/workflow-execution-contract";
import type { GatewayModel } from "../../platform/model-port";
import { sha256Hex } from "../../platform/sha256";
import { runAgentTask } from "./agent-task";
import { runApiCall } from "./api-call";
import type { LeafSteps } from "./control";
import { runExecution } from "./interpreter";
import { startExecution } from "./start";

export function createExecutionRuntime(model: GatewayModel): ExecutionRuntime {
  const leaves: LeafSteps = {
    apiCall: (env, step, at) => runApiCall(env, step, at),
    agentTask: (env, step, at) => runAgentTask(env, model, step, at),
    // Derived from the parent and its step, so a start replayed after an eviction finds the same child.
    childId: async (executionId, key) => (await sha256Hex(`${executionId}/${key}`)).slice(0, 32),
  };
  const runtime: ExecutionRuntime = {
    run: (env, journal) => runExecution(env, journal, runtime, leaves),
    async startChild(env, req) {
      const started = await startExecution(env, {
        workflowId: req.workflowId,
        version: req.version,
        input: req.input,
        createdBy: req.createdBy,
        id: req.childId,
        parent: req.parent,
      });
      return started.ok ? { ok: true, executionId: started.executionId } : started;
    },
  };
  return runtime;
}
