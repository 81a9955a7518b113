/**
 * Non-streaming execution: chat and embeddings through the attempt loop, each try bounded by
 * min(its variant's total timeout, time left before the deadline), and the served attempt's cost debited
 * from its provider's budget. Failures surface as `AllAttemptsFailed` (→ 502) or `InferenceRejected` (→ 400).
 */
import type { ChatParams, ChatRequest, ChatResult, EmbedRequest, EmbedResult, Usage } from "../types";
import { chargeCost, costOf } from "./budgets";
import { type LoopOutcome, runAttempts } from "./loop";
import { countAttempt, observeServed } from "./metrics";
import { asProviderError, raceAbort, timedController } from "./rules";
import type { Executed, ExecuteDeps, ExecutionAttempt, Served } from "./types";

export type ChatInput = Omit<ChatRequest, "model" | "signal">;
export type EmbedInput = Omit<EmbedRequest, "model" | "signal">;

/** The variant's params under the request's: a value the request sets wins. */
export function mergeParams(variant: ChatParams | undefined, request: ChatParams): ChatParams {
  const out: ChatParams = { ...variant };
  for (const [k, v] of Object.entries(request) as [keyof ChatParams, ChatParams[keyof ChatParams]][]) {
    if (v !== undefined) Object.assign(out, { [k]: v });
  }
  return out;
}

export function servedBy(a: ExecutionAttempt): Served {
  return { variant: a.variant, provider: a.provider.name, model: a.model, tier: a.tier };
}

/** One bounded provider call: aborts (and stops waiting) when its time is up or the client goes away. */
async function bounded<T>(
  a: ExecutionAttempt,
  ms: number,
  clientSignal: AbortSignal | undefined,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const t = timedController(a.provider.name, ms, "total timeout", clientSignal);
  try {
    return await raceAbort(
      Promise.resolve().then(() => call(t.controller.signal)),
      t.controller.signal,
    );
  } catch (err) {
    throw asProviderError(err, a.provider.name, t.controller.signal);
  } finally {
    t.clear();
  }
}

function settle<T>(deps: ExecuteDeps, out: LoopOutcome<T>, usage: Partial<Usage>): Executed<T> {
  const now = (deps.now ?? Date.now)();
  const name = out.attempt.provider.name;
  const cost = out.attempt.prices ? costOf(usage, out.attempt.prices) : undefined;
  if (cost !== undefined) chargeCost(deps.env, name, cost, now, deps.defer);
  countAttempt(deps.functionName, out.record);
  observeServed(deps.functionName, name, out.records.length - 1, out.tryMs);
  return {
    result: out.value,
    attempt: servedBy(out.attempt),
    attempts: out.records,
    timings: { upstream_ms: out.upstreamMs, total_ms: now - out.startedAt },
    cost_usd: cost,
  };
}

export async function executeChat(
  attempts: readonly ExecutionAttempt[],
  request: ChatInput,
  deps: ExecuteDeps,
): Promise<Executed<ChatResult>> {
  const out = await runAttempts(attempts, deps, (a, ctx) =>
    bounded(a, Math.min(a.timeouts.nonStreamingTotalMs, ctx.remainingMs), ctx.clientSignal, (signal) =>
      a.provider.chat({ ...request, model: a.model, params: mergeParams(a.params, request.params), signal }),
    ),
  );
  return settle(deps, out, out.value.usage);
}

export async function executeEmbed(
  attempts: readonly ExecutionAttempt[],
  request: EmbedInput,
  deps: ExecuteDeps,
): Promise<Executed<EmbedResult>> {
  const out = await runAttempts(attempts, deps, (a, ctx) =>
    bounded(a, Math.min(a.timeouts.nonStreamingTotalMs, ctx.remainingMs), ctx.clientSignal, (signal) =>
      a.provider.embed({ ...request, model: a.model, signal }),
    ),
  );
  return settle(deps, out, { input_tokens: out.value.usage.input_tokens });
}
