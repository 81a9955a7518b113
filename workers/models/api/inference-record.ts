/**
 * The pipeline's last stage: what one chat inference leaves behind once it is answered or has failed — its
 * row in the inference log (buffered, written from `waitUntil`) and an ERROR event for each provider found
 * out of credit or with a wrong key. Nothing here sits on the request path.
 */
import type { Env } from "../../platform/env";
import { formatTraceparent, startSpan } from "../../platform/trace";
import type { AttemptRecord, Served } from "../router";
import type { ChatMessage, Usage } from "../types";
import type { CacheStatus, Deferrer } from "./inference-contract";
import { announceProviderTrouble, cap, logInference, type InferenceRow } from "./inference-log";

/** What the log needs to know about the inference whatever its outcome. */
export interface InferenceIdentity {
  inferenceId: string;
  episodeId: string;
  functionName: string | undefined;
  /** The requested model, for `model_name` calls. */
  modelName: string | undefined;
  system: string | undefined;
  messages: readonly ChatMessage[];
  workspace: string | undefined;
  tags: Record<string, string> | undefined;
  traceparent: string | undefined;
  startedAt: number;
}

export interface ServedOutcome {
  served: Served;
  attempts: readonly AttemptRecord[];
  usage: Usage;
  costUsd: number | undefined;
  cache: CacheStatus;
  /** The answer as logged (capped); null for streams, whose text is not kept. */
  response: unknown;
  ttftMs?: number | undefined;
  /** `ok`, or `stream_error` for a stream that failed after its first token. */
  status?: "ok" | "stream_error";
}

function baseRow(id: InferenceIdentity, status: string, attempts: readonly AttemptRecord[]): InferenceRow {
  return {
    id: id.inferenceId,
    episodeId: id.episodeId,
    functionName: id.functionName ?? null,
    variantName: null,
    provider: null,
    model: id.modelName ?? null,
    tier: null,
    status,
    attempts: [...attempts],
    inputTokens: null,
    outputTokens: null,
    cost: null,
    latencyMs: Date.now() - id.startedAt,
    ttftMs: null,
    cache: "miss",
    workspace: id.workspace ?? null,
    tags: id.tags ?? null,
    request: cap({ system: id.system, messages: id.messages }),
    response: null,
    createdAt: id.startedAt,
  };
}

function announce(env: Env, ctx: Deferrer, id: InferenceIdentity, attempts: readonly AttemptRecord[]): void {
  // Spans are optional for in-process callers; an ERROR event still deserves a trace of its own.
  const traceparent = id.traceparent ?? formatTraceparent(startSpan(null));
  ctx.waitUntil(announceProviderTrouble(env, attempts, traceparent));
}

/** Logs an answered inference (from a provider or a cache) and announces provider trouble met on the way. */
export function recordServed(env: Env, ctx: Deferrer, id: InferenceIdentity, out: ServedOutcome): void {
  announce(env, ctx, id, out.attempts);
  logInference(
    env,
    {
      ...baseRow(id, out.status ?? "ok", out.attempts),
      variantName: out.served.variant,
      provider: out.served.provider,
      model: out.served.model,
      tier: out.served.tier,
      inputTokens: out.usage.input_tokens,
      outputTokens: out.usage.output_tokens,
      cost: out.costUsd ?? null,
      response: out.response === null ? null : cap(out.response),
      ttftMs: out.ttftMs ?? null,
      cache: out.cache,
    },
    (p) => ctx.waitUntil(p),
  );
}

/** Logs an inference no provider answered, with every attempt's fate. */
export function recordFailed(env: Env, ctx: Deferrer, id: InferenceIdentity, attempts: readonly AttemptRecord[]): void {
  announce(env, ctx, id, attempts);
  logInference(env, baseRow(id, "error", attempts), (p) => ctx.waitUntil(p));
}
