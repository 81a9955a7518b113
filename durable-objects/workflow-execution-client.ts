/**
 * How Worker code reaches ChainBot's execution objects: one WorkflowExecution per execution id, one
 * WorkflowAdmission per workflow id.
 */
import type { Env } from "../workers/platform/env";
import { type RpcOf, stubOf } from "../workers/platform/rpc";
import type { WorkflowAdmission } from "./workflow-admission";
import type { WorkflowExecution } from "./workflow-execution";

export type WorkflowExecutionRpc = RpcOf<WorkflowExecution>;
export type WorkflowAdmissionRpc = RpcOf<WorkflowAdmission>;

export function workflowExecution(env: Pick<Env, "WORKFLOW_EXECUTION">, id: string): WorkflowExecutionRpc {
  return stubOf(env.WORKFLOW_EXECUTION, id);
}

export function workflowAdmission(env: Pick<Env, "WORKFLOW_ADMISSION">, workflowId: string): WorkflowAdmissionRpc {
  return stubOf(env.WORKFLOW_ADMISSION, workflowId);
}

/** The live-tracking upgrade the route forwards once the caller's scope checked out. */
export function liveRequest(): Request {
  return new Request("https://workflow-execution.internal/live", { headers: { upgrade: "websocket" } });
}
