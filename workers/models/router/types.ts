/**
 * The router's own vocabulary: what one planned attempt must carry (the lead maps the planner's variants onto
 * it), what the executor needs from its caller, and what it hands back — the answer, which attempt served it,
 * and a record of every attempt for the inference log and the 502 body.
 */
import type { Defer, BreakerEnv } from "../../platform/breaker/breaker";
import type { ChatParams, FailureKind, FinishReason, Provider, StreamChunk, Tier, Usage } from "../types";

/** USD per million tokens (same shape as the config's `Prices`). */
export interface AttemptPrices {
  inputPerMillion: number;
  outputPerMillion: number;
}

/** A provider's spending limits per UTC day / month (same shape as the config's `Budget`). */
export interface ProviderBudget {
  dailyUsd?: number | undefined;
  monthlyUsd?: number | undefined;
}

/** One entry of the ordered plan: a variant bound to a ready provider. */
export interface ExecutionAttempt {
  variant: string;
  provider: Provider;
  /** The provider's own model name, put into the request. */
  model: string;
  tier: Tier;
  timeouts: { nonStreamingTotalMs: number; streamingTtftMs: number; streamingTotalMs: number };
  retries: { numRetries: number; maxDelayS: number };
  /** Variant-level inference params; the request's own params win. */
  params?: ChatParams | undefined;
  prices?: AttemptPrices | undefined;
  contextWindow?: number | undefined;
  budget?: ProviderBudget | undefined;
}

export interface RouterEnv extends BreakerEnv {
  DB: D1Database;
}

export interface ExecuteDeps {
  env: RouterEnv;
  /** `ctx.waitUntil`: breaker reports, budget refreshes and spend writes run here, never on the hot path. */
  defer: Defer;
  /** Label for `botplane_inferences_total{function}`. */
  functionName?: string | undefined;
  /** No attempt or retry starts after this many ms (non-streaming: the answer; streaming: the first token). */
  deadlineMs?: number | undefined;
  /** The client went away: stop at once. */
  signal?: AbortSignal | undefined;
  /** Injected clock, randomness and sleep for tests. */
  now?: (() => number) | undefined;
  random?: (() => number) | undefined;
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
}

/** `ok`, the failure kind of the attempt's last try, or `skipped` (never tried: breaker, cooldown, budget, deadline, window). */
export type AttemptStatus = "ok" | FailureKind | "skipped";

export interface AttemptRecord {
  variant: string;
  provider: string;
  tier: Tier;
  status: AttemptStatus;
  reason: string;
  latency_ms: number;
  /** Tries made (1 + retries used); 0 when skipped. */
  tries: number;
  /** The upstream's HTTP status, when it answered with one. */
  http_status?: number | undefined;
}

export interface Timings {
  /** Time spent waiting on providers, every try included. */
  upstream_ms: number;
  /** From the start of execution to the answer (streams: to the first token). */
  total_ms: number;
  ttft_ms?: number | undefined;
}

export interface Served {
  variant: string;
  provider: string;
  model: string;
  tier: Tier;
}

export interface Executed<T> {
  result: T;
  attempt: Served;
  attempts: AttemptRecord[];
  timings: Timings;
  /** Priced from usage when the attempt has prices. */
  cost_usd?: number | undefined;
}

/** What a routed stream yields: the provider's chunks, or one final `error` after content has been sent. */
export type RoutedStreamElement = StreamChunk | { type: "error"; kind: FailureKind; message: string; usage: Usage };

/** How a routed stream ended; resolves (never rejects) once the stream is drained or abandoned. */
export interface StreamOutcome {
  usage: Usage;
  finish_reason?: FinishReason | undefined;
  error?: { kind: FailureKind; message: string } | undefined;
  cost_usd?: number | undefined;
  /** Time from execution start to the end of the stream. */
  total_ms: number;
}

export interface ExecutedStream {
  stream: AsyncIterable<RoutedStreamElement>;
  attempt: Served;
  attempts: AttemptRecord[];
  /** Up to the first token; the full duration arrives in `done`. */
  timings: Timings;
  done: Promise<StreamOutcome>;
}
