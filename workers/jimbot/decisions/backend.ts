/**
 * One call of a decision backend (an HTTP model server such as Ray Serve): POST the LearningDecisionRequest as
 * JSON, expect a LearningDecisionResponse as JSON, within the deadline. Each model's backend has its own
 * breaker (`decision_backend.<model>`, seed defaults unless CIRCUIT_BREAKER_OVERRIDES says otherwise), so a
 * backend that keeps failing is skipped at once instead of costing every caller the whole deadline.
 */
import { breaker, type Defer } from "../../platform/breaker/breaker";
import type { Env } from "../../platform/env";
import { BackendResponseSchema, type FallbackReason, type LearningDecisionRequest } from "./schemas";
import type { z } from "zod";

export type BackendAnswer = z.infer<typeof BackendResponseSchema>;

export type BackendOutcome =
  { ok: true; answer: BackendAnswer } | { ok: false; reason: Exclude<FallbackReason, "no_backend">; message: string };

export function backendComponent(modelId: string): string {
  return `decision_backend.${modelId}`;
}

async function post(url: string, request: LearningDecisionRequest, signal: AbortSignal, traceparent?: string) {
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (traceparent) headers.traceparent = traceparent;
  const res = await fetch(url, { method: "POST", headers, body: JSON.stringify(request), signal });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  const parsed = BackendResponseSchema.safeParse(await res.json());
  if (!parsed.success) throw new Error(`not a LearningDecisionResponse: ${parsed.error.issues[0]?.message ?? ""}`);
  return parsed.data;
}

export async function callBackend(
  env: Env,
  defer: Defer,
  call: { modelId: string; url: string; request: LearningDecisionRequest; deadlineMs: number; traceparent?: string },
): Promise<BackendOutcome> {
  const guard = breaker(env, backendComponent(call.modelId), defer);
  const admission = guard.check();
  if (!admission.allowed)
    return { ok: false, reason: "breaker_open", message: `the breaker of ${call.modelId}'s backend is open` };
  const signal = AbortSignal.timeout(call.deadlineMs);
  try {
    const answer = await post(call.url, call.request, signal, call.traceparent);
    guard.success();
    return { ok: true, answer };
  } catch (err) {
    guard.failure(err);
    if (signal.aborted) return { ok: false, reason: "deadline", message: `no answer within ${call.deadlineMs} ms` };
    return { ok: false, reason: "backend_error", message: err instanceof Error ? err.message : String(err) };
  }
}
