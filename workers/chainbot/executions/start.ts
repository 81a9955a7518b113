/**
 * Starting an execution, for the execute route and for a sub_workflow step alike: refuse while ChainBot is
 * stopped, pin the workflow version, resolve its settings (the definition's own, else the config levels),
 * create the execution object (queued) and hand it to the workflow's admission object, which starts it at
 * once or queues it FIFO behind `max_concurrent_executions`.
 */
import { workflowAdmission, workflowExecution } from "../../../durable-objects/workflow-execution-client";
import { indexQueued } from "../../../durable-objects/workflow-execution-index";
import type { ExecutionStatus } from "../../../durable-objects/workflow-execution-contract";
import type { Env } from "../../platform/env";
import { fail, type Result } from "../../platform/errors";
import { loadChainbotConfig } from "../config/load";
import { chainbotRunning } from "../lifecycle/state";
import { workflowSettings } from "../workflows/definition-schema";
import { loadWorkflowVersion } from "../workflows/store";

export interface StartRequest {
  workflowId: string;
  version?: number | undefined;
  input: Record<string, unknown>;
  createdBy: string;
  /** A fixed id (a child's, derived from its parent step, so a replayed start finds the same one). */
  id?: string;
  parent?: { executionId: string; stepKey: string };
}

export interface Started {
  executionId: string;
  workflowVersion: number;
  status: ExecutionStatus;
  /** 1-based place in the workflow's queue; 0 when admitted. */
  position: number;
}

export async function startExecution(env: Env, req: StartRequest): Promise<Result<Started>> {
  // A child belongs to an execution already running, which a stop lets finish.
  if (req.parent === undefined && !(await chainbotRunning(env)))
    return fail(503, "module_stopped", "ChainBot is stopped: new executions are refused until it is started");
  const found = await loadWorkflowVersion(env, req.workflowId, req.version);
  if (!found.ok) return found;
  const { snapshot } = found;
  const config = await loadChainbotConfig(env);
  const settings = workflowSettings(snapshot.definition, {
    default_timeout_hours: config.values["workflow.default_timeout_hours"],
    max_concurrent_executions: config.values["workflow.max_concurrent_executions"],
    retry_attempts: config.values["workflow.retry_attempts"],
  });
  const id = req.id ?? crypto.randomUUID();
  const created = await workflowExecution(env, id).create({
    id,
    workflowId: snapshot.id,
    workflowVersion: snapshot.version,
    definition: snapshot.definition,
    input: req.input,
    timeoutHours: settings.default_timeout_hours,
    retryAttempts: settings.retry_attempts,
    totalSteps: snapshot.definition.steps.length,
    createdBy: req.createdBy,
    ...(req.parent ? { parent: req.parent } : {}),
  });
  if (!created.ok) return created;
  // Before admission, so the object's own index writes (from begin on) land after this one.
  await indexQueued(env.DB, created.execution, Date.now());
  const admitted = await workflowAdmission(env, snapshot.id).enqueue({
    executionId: id,
    limit: settings.max_concurrent_executions,
  });
  if (!admitted.ok) return admitted;
  return {
    ok: true,
    executionId: id,
    workflowVersion: snapshot.version,
    status: admitted.status,
    position: admitted.position,
  };
}
