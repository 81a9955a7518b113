/**
 * A `wait` step with until `entanglement_message`: the step subscribes once at the Entanglement object (its
 * filters: sender `member`, `message_type`; the step's deadline), then waits for the event the object sends
 * when a matching message is posted — the message becomes the step's output. A timeout fails it as other
 * waits do. Only messages posted after the wait began count.
 */
import { entanglement } from "../../../durable-objects/entanglement-client";
import type { ExecutionJournal } from "../../../durable-objects/workflow-execution-contract";
import type { Env } from "../../platform/env";
import { renderTemplate } from "../expressions/templates";
import type { Step } from "../workflows/definition-schema";
import { Failed, Suspend, type Scope } from "./control";

type WaitStep = Extract<Step, { type: "wait" }>;

function fail(j: ExecutionJournal, step: WaitStep, key: string, code: string, message: string): never {
  j.failStep(key, step.id, step.type, { code, message });
  throw new Failed({ code, message: `step '${step.id}': ${message}` });
}

export async function runEntanglementWait(
  env: Env,
  j: ExecutionJournal,
  step: WaitStep,
  key: string,
  scope: Scope,
): Promise<void> {
  let data = j.record(key)?.data ?? null;
  const now = j.now();
  if (data === null) {
    const r = renderTemplate(step.entanglement_id ?? "", scope.vars);
    const id = r.ok && typeof r.value === "string" && r.value !== "" ? r.value : null;
    if (id === null) return fail(j, step, key, "template_error", "entanglement_id did not give an entanglement id");
    const deadline = step.timeout === undefined ? null : now + step.timeout * 1000;
    const signal = `entanglement:${key}`;
    // Subscribed before the step is recorded as waiting: a replay subscribes again, which changes nothing.
    const subscribed = await entanglement(env, id).subscribe({
      execution_id: j.executionId,
      signal,
      member: step.member ?? null,
      message_type: step.message_type ?? null,
      deadline,
    });
    if (!subscribed.ok) return fail(j, step, key, subscribed.code, subscribed.message);
    data = { entanglement_id: id, signal, deadline };
    j.waitFor(key, step.id, step.type, data);
  }
  const signal = typeof data.signal === "string" ? data.signal : `entanglement:${key}`;
  const taken = j.takeSignal("event", [signal], key);
  if (taken) {
    const output = taken.payload;
    j.complete(key, step.id, step.type, output);
    scope.vars[step.id] = output;
    return;
  }
  const deadline = typeof data.deadline === "number" ? data.deadline : null;
  if (deadline !== null && now >= deadline)
    return fail(j, step, key, "wait_timeout", `no entanglement message within ${step.timeout ?? 0} s`);
  throw new Suspend(deadline);
}
