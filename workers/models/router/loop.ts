/**
 * The attempt loop shared by chat, streaming chat and embeddings: walks the plan in order, skips providers
 * that are breaker-open, misconfigured or over budget, retries a variant on retryable failures, applies the
 * rules per failure kind, and stops starting anything once the overall deadline has passed. What one try
 * does (call, stream up to the first token, embed) is the caller's `tryOnce`.
 */
import { breaker, type Breaker } from "../../platform/breaker/breaker";
import type { ProviderError } from "../types";
import { markExhausted, maybeRefreshSpend } from "./budgets";
import { AllAttemptsFailed, InferenceRejected } from "./errors";
import { breakerComponent, breakerOpenReason, markMisconfigured, noteFailure, noteSuccess, skipReason } from "./health";
import { countAttempt } from "./metrics";
import { asProviderError, breakerOutcome, defaultSleep, isRetryable, retryDelayMs } from "./rules";
import type { AttemptRecord, ExecuteDeps, ExecutionAttempt } from "./types";

/** Overall budget when the caller sets none: keeps a request whose every tier fails under ~10 s. */
export const DEFAULT_DEADLINE_MS = 10_000;

export interface TryContext {
  /** Time left before the overall deadline; the try's own budget is the smaller of this and its timeout. */
  remainingMs: number;
  /** Aborts when the client goes away. */
  clientSignal: AbortSignal | undefined;
  /** The try's provider breaker, for failures that surface later (mid-stream). */
  breaker: Breaker;
}

export interface LoopOutcome<T> {
  value: T;
  attempt: ExecutionAttempt;
  /** The serving attempt's record (status ok), last in `records`. */
  record: AttemptRecord;
  records: AttemptRecord[];
  startedAt: number;
  upstreamMs: number;
  /** How long the serving try took. */
  tryMs: number;
}

function skipped(a: ExecutionAttempt, reason: string): AttemptRecord {
  return {
    variant: a.variant,
    provider: a.provider.name,
    tier: a.tier,
    status: "skipped",
    reason,
    latency_ms: 0,
    tries: 0,
  };
}

/** Whether some later attempt has a window larger than the one that was too small. */
function largerWindowAhead(attempts: readonly ExecutionAttempt[], from: number, floor: number): boolean {
  return attempts.slice(from).some((a) => (a.contextWindow ?? 0) > floor);
}

export async function runAttempts<T>(
  attempts: readonly ExecutionAttempt[],
  deps: ExecuteDeps,
  tryOnce: (attempt: ExecutionAttempt, ctx: TryContext) => Promise<T>,
): Promise<LoopOutcome<T>> {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const sleep = deps.sleep ?? defaultSleep;
  const startedAt = now();
  const deadline = startedAt + (deps.deadlineMs ?? DEFAULT_DEADLINE_MS);
  maybeRefreshSpend(deps.env, deps.defer, startedAt);

  const records: AttemptRecord[] = [];
  const finish = (rec: AttemptRecord) => {
    records.push(rec);
    countAttempt(deps.functionName, rec);
  };
  let upstreamMs = 0;
  let contextFloor: number | null = null;

  for (let i = 0; i < attempts.length; i++) {
    const a = attempts[i] as ExecutionAttempt;
    const name = a.provider.name;
    const at = now();
    if (deps.signal?.aborted) {
      finish(skipped(a, "the client went away"));
      continue;
    }
    if (at >= deadline) {
      finish(skipped(a, "overall deadline exceeded"));
      continue;
    }
    if (contextFloor !== null && !((a.contextWindow ?? 0) > contextFloor)) {
      finish(skipped(a, `context window ${a.contextWindow ?? "unknown"} is not larger than ${contextFloor}`));
      continue;
    }
    const skip = skipReason(name, a.budget, at);
    if (skip) {
      finish(skipped(a, skip));
      continue;
    }

    const rec: AttemptRecord = {
      variant: a.variant,
      provider: name,
      tier: a.tier,
      status: "skipped",
      reason: "",
      latency_ms: 0,
      tries: 0,
    };
    let last: ProviderError | undefined;
    for (let retry = 0; ; retry++) {
      const b = breaker(deps.env, breakerComponent(name), deps.defer);
      const admission = b.check(now());
      if (!admission.allowed) {
        rec.reason =
          rec.tries === 0
            ? `${breakerOpenReason(name)}; retry in ${admission.retryAfterMs} ms`
            : `${rec.reason}; then circuit breaker open`;
        break;
      }
      const t0 = now();
      rec.tries++;
      try {
        const value = await tryOnce(a, { remainingMs: deadline - t0, clientSignal: deps.signal, breaker: b });
        const tryMs = now() - t0;
        b.success(now());
        noteSuccess(name);
        upstreamMs += tryMs;
        Object.assign(rec, { status: "ok", reason: "", latency_ms: now() - at });
        records.push(rec);
        return { value, attempt: a, record: rec, records, startedAt, upstreamMs, tryMs };
      } catch (err) {
        const t1 = now();
        upstreamMs += t1 - t0;
        last = asProviderError(err, name);
        Object.assign(rec, { status: last.kind, reason: last.message, http_status: last.status });
        const outcome = breakerOutcome(last.kind);
        if (outcome === "failure") {
          b.failure(last, t1);
          noteFailure(name, last.message);
        } else if (outcome === "success") b.success(t1);
      }
      if (!isRetryable(last.kind) || retry >= a.retries.numRetries || deps.signal?.aborted) break;
      const delay = retryDelayMs(last, retry, a.retries.maxDelayS, deadline - now(), random);
      if (delay === null) break;
      await sleep(delay, deps.signal);
    }
    rec.latency_ms = now() - at;
    finish(rec);
    if (!last) continue;

    if (last.kind === "auth") markMisconfigured(name, last.message, now());
    else if (last.kind === "quota") markExhausted(name, a.budget, now(), last.message);
    else if (last.kind === "bad_request") throw new InferenceRejected("bad_request", last.message, records);
    else if (last.kind === "context_length") {
      contextFloor = Math.max(contextFloor ?? 0, a.contextWindow ?? 0);
      if (!largerWindowAhead(attempts, i + 1, contextFloor))
        throw new InferenceRejected("context_length_exceeded", last.message, records);
    }
  }
  throw new AllAttemptsFailed(records);
}
