/**
 * The steps that wait: `wait` (a duration, a time, an event or an approval sent to the execution) and
 * `sub_workflow` (a child execution's result). Each keeps what it waits for in its step row, so a replay
 * after an eviction waits for the same thing until the same deadline.
 */
import type {
  ExecutionJournal,
  ExecutionRuntime,
  StepError,
} from "../../../durable-objects/workflow-execution-contract";
import type { Env } from "../../platform/env";
import { renderTemplate, renderValue } from "../expressions/templates";
import type { Step } from "../workflows/definition-schema";
import { Failed, Suspend, type LeafSteps, type Scope } from "./control";

export interface SubWorkflowContext {
  env: Env;
  j: ExecutionJournal;
  runtime: ExecutionRuntime;
  leaves: LeafSteps;
}

/** A `wait` step: a duration, a time, a named event or an approval, each with an optional timeout. */
export function runWait(j: ExecutionJournal, step: Extract<Step, { type: "wait" }>, key: string, scope: Scope): void {
  let data = j.record(key)?.data ?? null;
  const now = j.now();
  if (data === null) {
    const deadline = step.timeout === undefined ? null : now + step.timeout * 1000;
    if (step.duration !== undefined) data = { until: now + step.duration * 1000 };
    else if (step.until !== undefined) {
      const r = renderTemplate(step.until, scope.vars);
      const at = r.ok && typeof r.value === "string" ? Date.parse(r.value) : NaN;
      if (Number.isNaN(at)) {
        const error = { code: "invalid_time", message: `until '${step.until}' is not an ISO-8601 time` };
        j.failStep(key, step.id, step.type, error);
        throw new Failed(error);
      }
      data = { until: at };
    } else if (step.event !== undefined) data = { event: step.event, deadline };
    else data = { approval: true, deadline };
    j.waitFor(key, step.id, step.type, data);
  }
  if (typeof data.until === "number") {
    if (now < data.until) throw new Suspend(data.until);
    return finish(j, step, key, scope, { waited_until: new Date(data.until).toISOString() });
  }
  const deadline = typeof data.deadline === "number" ? data.deadline : null;
  const taken =
    typeof data.event === "string"
      ? j.takeSignal("event", [data.event], key)
      : j.takeSignal("approval", [step.id, "*"], key);
  if (taken) {
    const at = new Date(taken.at).toISOString();
    if (typeof data.event === "string")
      return finish(j, step, key, scope, { event: data.event, payload: taken.payload, by: taken.by, at });
    const p = (taken.payload ?? {}) as { decision?: string; comment?: string };
    const decision = p.decision ?? "approved";
    return finish(j, step, key, scope, {
      decision,
      approved: decision === "approved",
      comment: p.comment ?? null,
      by: taken.by,
      at,
    });
  }
  if (deadline !== null && now >= deadline) {
    const what = typeof data.event === "string" ? `event '${data.event}'` : "approval";
    const error = { code: "wait_timeout", message: `no ${what} within ${step.timeout ?? 0} s` };
    j.failStep(key, step.id, step.type, error);
    throw new Failed({ code: error.code, message: `step '${step.id}': ${error.message}` });
  }
  throw new Suspend(deadline);
}

function finish(j: ExecutionJournal, step: Step, key: string, scope: Scope, output: unknown): void {
  j.complete(key, step.id, step.type, output);
  scope.vars[step.id] = output;
}

/** A `sub_workflow` step: starts the child once (its id derives from this step) and takes its result. */
export async function runSubWorkflow(
  ctx: SubWorkflowContext,
  step: Extract<Step, { type: "sub_workflow" }>,
  key: string,
  scope: Scope,
): Promise<void> {
  const { env, j, runtime, leaves } = ctx;
  const rec = j.record(key);
  let child = typeof rec?.data?.child === "string" ? rec.data.child : null;
  const now = j.now();
  if (child === null) {
    const input = renderValue(step.input ?? {}, scope.vars);
    if (!input.ok || input.value === null || typeof input.value !== "object" || Array.isArray(input.value)) {
      const error = { code: "template_error", message: input.ok ? "input is not an object" : input.message };
      j.failStep(key, step.id, step.type, error);
      throw new Failed(error);
    }
    const childId = await leaves.childId(j.executionId, key);
    const started = await runtime.startChild(env, {
      childId,
      workflowId: step.workflow_id,
      version: step.version,
      input: input.value,
      parent: { executionId: j.executionId, stepKey: key },
      createdBy: `execution:${j.executionId}`,
    });
    if (!started.ok) {
      const error = { code: started.code, message: started.message };
      j.failStep(key, step.id, step.type, error);
      throw new Failed({ code: error.code, message: `step '${step.id}': ${error.message}` });
    }
    child = started.executionId;
    const deadline = step.timeout === undefined ? null : now + step.timeout * 1000;
    j.waitFor(key, step.id, step.type, { child, deadline });
  }
  const taken = j.takeSignal("child", [child], key);
  if (taken) {
    const p = taken.payload as { status?: string; output?: unknown; error?: StepError | null };
    if (p.status === "completed") return finish(j, step, key, scope, p.output ?? null);
    const error = {
      code: "sub_workflow_failed",
      message: `child ${child} ${p.status ?? "failed"}${p.error ? `: ${p.error.message}` : ""}`,
    };
    j.failStep(key, step.id, step.type, error);
    throw new Failed({ code: error.code, message: `step '${step.id}': ${error.message}` });
  }
  const deadline = typeof rec?.data?.deadline === "number" ? rec.data.deadline : null;
  if (deadline !== null && now >= deadline) {
    const error = { code: "step_timeout", message: `child ${child} did not finish within ${step.timeout ?? 0} s` };
    j.failStep(key, step.id, step.type, error);
    throw new Failed(error);
  }
  throw new Suspend(deadline);
}
