/**
 * One inference, end to end: resolve the target, plan and bind attempts, run them through the router
 * (fallback, retries, breaker, budgets), validate JSON output, answer, and log the inference off the path.
 */
import { Validator } from "@cfworker/json-schema";
import type { Env } from "../../platform/env";
import { AppError } from "../../platform/errors";
import type { LoadedConfig } from "../config/source";
import {
  AllAttemptsFailed,
  allAttemptsFailedError,
  executeChat,
  executeChatStream,
  type AttemptRecord,
  type Executed,
  type ExecutedStream,
} from "../router";
import type { ChatMessage, ChatParams, ChatRequest, ChatResult } from "../types";
import { planFor, toExecutionAttempts, type Target } from "./attempts";
import { cacheKey, readCache, writeCache, type CacheOptions, type CachedAnswer } from "./cache";
import { announceProviderTrouble, cap, logInference, type InferenceRow } from "./inference-log";
import { uuidv7 } from "./ids";
import { semanticProbeFor, type SemanticOptions } from "./semantic-cache";

/** The part of an execution context the service needs: somewhere to put work that outlives the response. */
export interface Deferrer {
  waitUntil(p: Promise<unknown>): void;
}

export interface ChatCall {
  loaded: LoadedConfig;
  target: Target;
  variantName?: string | undefined;
  system?: string | undefined;
  messages: ChatMessage[];
  params: ChatParams;
  tools?: ChatRequest["tools"];
  toolChoice?: ChatRequest["tool_choice"];
  json?: ChatRequest["json"];
  episodeId?: string | undefined;
  tags?: Record<string, string> | undefined;
  workspace?: string | undefined;
  traceparent: string;
  /** Exact-match cache use for this call (request options, else the function's `cache` config). */
  cache?: CacheOptions | undefined;
  /** Semantic cache use for this call (the function's threshold, shaped by the request's cache mode). */
  semantic?: SemanticOptions | undefined;
}

export type CacheStatus = "hit" | "semantic" | "miss" | "stale" | "off";

export interface Prepared {
  inferenceId: string;
  episodeId: string;
  request: Omit<ChatRequest, "model" | "signal">;
  outputSchema?: Record<string, unknown> | undefined;
  deadlineMs: number;
  deps: Parameters<typeof executeChat>[2];
  started: number;
}

function jsonRequest(call: ChatCall): { json: ChatRequest["json"]; schema?: Record<string, unknown> } {
  const fn = call.target.fn;
  if (fn?.type === "json") {
    return fn.outputSchema
      ? { json: { mode: "json_schema", name: fn.name, schema: fn.outputSchema }, schema: fn.outputSchema }
      : { json: { mode: "json_object" } };
  }
  return { json: call.json };
}

export function prepare(
  env: Env,
  ctx: Deferrer,
  call: ChatCall,
): Prepared & { attempts: ReturnType<typeof toExecutionAttempts> } {
  if (call.target.fn?.type === "embedding")
    throw new AppError(400, "invalid_input", `function '${call.target.name}' is an embedding function`, {
      field: "body.function_name",
    });
  const plan = planFor(call.loaded, call.target, { variantName: call.variantName });
  const { json, schema } = jsonRequest(call);
  const request = {
    system: call.system,
    messages: call.messages,
    params: call.params,
    json,
    tools: call.tools,
    tool_choice: call.toolChoice,
  };
  return {
    inferenceId: uuidv7(),
    episodeId: call.episodeId ?? uuidv7(),
    request,
    outputSchema: schema,
    deadlineMs: plan.deadlineMs,
    attempts: toExecutionAttempts(plan, env),
    deps: { env, defer: (p) => ctx.waitUntil(p), functionName: call.target.fn?.name, deadlineMs: plan.deadlineMs },
    started: Date.now(),
  };
}

/** JSON output of a json function: `parsed` is null when the text is not JSON or misses the schema. */
export function parseJsonOutput(raw: string, schema: Record<string, unknown> | undefined): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!schema) return parsed;
  return new Validator(schema, "2020-12", false).validate(parsed).valid ? parsed : null;
}

export function serverTiming(t: { upstream_ms: number; ttft_ms?: number | undefined; total_ms: number }): string {
  const parts = [`upstream;dur=${t.upstream_ms}`, `total;dur=${t.total_ms}`];
  if (t.ttft_ms !== undefined) parts.splice(1, 0, `ttft;dur=${t.ttft_ms}`);
  return parts.join(", ");
}

function row(
  call: ChatCall,
  p: Prepared,
  status: string,
  attempts: readonly AttemptRecord[],
  extra: Partial<InferenceRow>,
): InferenceRow {
  return {
    id: p.inferenceId,
    episodeId: p.episodeId,
    functionName: call.target.fn?.name ?? null,
    variantName: null,
    provider: null,
    model: call.target.kind === "model" ? call.target.name : null,
    tier: null,
    status,
    attempts: [...attempts],
    inputTokens: null,
    outputTokens: null,
    cost: null,
    latencyMs: Date.now() - p.started,
    ttftMs: null,
    cache: "miss",
    workspace: call.workspace ?? null,
    tags: call.tags ?? null,
    request: cap({ system: call.system, messages: call.messages }),
    response: null,
    createdAt: p.started,
    ...extra,
  };
}

export async function completeChat(
  env: Env,
  ctx: Deferrer,
  call: ChatCall,
): Promise<{ prepared: Prepared; executed: Executed<ChatResult>; cache: CacheStatus }> {
  const prepared = prepare(env, ctx, call);
  const defer = (p: Promise<unknown>) => ctx.waitUntil(p);
  const key = call.cache
    ? await cacheKey({ target: call.target.name, variant: call.variantName ?? null, ...prepared.request })
    : null;
  const fromCache = (answer: CachedAnswer): Executed<ChatResult> => ({
    result: answer.result,
    attempt: {
      variant: answer.variant,
      provider: answer.provider,
      model: answer.model,
      tier: answer.tier as Executed<ChatResult>["attempt"]["tier"],
    },
    attempts: [],
    timings: { upstream_ms: 0, total_ms: Date.now() - prepared.started },
  });
  const logServed = (executed: Executed<ChatResult>, cache: CacheStatus) => {
    const { attempt, result } = executed;
    ctx.waitUntil(announceProviderTrouble(env, executed.attempts, call.traceparent));
    logInference(
      env,
      row(call, prepared, "ok", executed.attempts, {
        variantName: attempt.variant,
        provider: attempt.provider,
        model: attempt.model,
        tier: attempt.tier,
        inputTokens: result.usage.input_tokens,
        outputTokens: result.usage.output_tokens,
        cost: executed.cost_usd ?? null,
        response: cap(result.content),
        cache,
      }),
      defer,
    );
  };
  if (key && call.cache?.read) {
    const hit = await readCache(env, key, { now: prepared.started, maxAgeS: call.cache.maxAgeS });
    if (hit) {
      const executed = fromCache(hit);
      logServed(executed, "hit");
      return { prepared, executed, cache: "hit" };
    }
  }
  const semantic = await semanticProbeFor(env, (p) => ctx.waitUntil(p), call, prepared.started);
  if (semantic?.hit) {
    const executed = fromCache(semantic.hit);
    logServed(executed, "semantic");
    return { prepared, executed, cache: "semantic" };
  }
  const missStatus: CacheStatus = key || semantic ? "miss" : "off";
  try {
    const executed = await executeChat(prepared.attempts, prepared.request, prepared.deps);
    logServed(executed, missStatus);
    const answer = { result: executed.result, ...executed.attempt };
    if (key && call.cache?.write)
      ctx.waitUntil(writeCache(env, key, call.target.name, answer, call.cache.ttlS, Date.now()));
    if (semantic) ctx.waitUntil(semantic.store(answer));
    return { prepared, executed, cache: missStatus };
  } catch (err) {
    if (!(err instanceof AllAttemptsFailed)) throw err;
    // Every provider failed: an answer cached for this exact request, even expired, beats an error.
    const stale = key ? await readCache(env, key, { now: Date.now(), stale: true }) : null;
    if (stale) {
      const executed = { ...fromCache(stale), attempts: err.attempts };
      logServed(executed, "stale");
      return { prepared, executed, cache: "stale" };
    }
    logInference(env, row(call, prepared, "error", err.attempts, {}), defer);
    ctx.waitUntil(announceProviderTrouble(env, err.attempts, call.traceparent));
    throw allAttemptsFailedError(err);
  }
}

export async function streamChat(
  env: Env,
  ctx: Deferrer,
  call: ChatCall,
): Promise<{ prepared: Prepared; executed: ExecutedStream }> {
  const prepared = prepare(env, ctx, call);
  const defer = (p: Promise<unknown>) => ctx.waitUntil(p);
  try {
    const executed = await executeChatStream(prepared.attempts, prepared.request, prepared.deps);
    ctx.waitUntil(
      executed.done.then((outcome) => {
        logInference(
          env,
          row(call, prepared, outcome.error ? "stream_error" : "ok", executed.attempts, {
            variantName: executed.attempt.variant,
            provider: executed.attempt.provider,
            model: executed.attempt.model,
            tier: executed.attempt.tier,
            inputTokens: outcome.usage.input_tokens,
            outputTokens: outcome.usage.output_tokens,
            cost: outcome.cost_usd ?? null,
            ttftMs: executed.timings.ttft_ms ?? null,
          }),
          defer,
        );
      }),
    );
    return { prepared, executed };
  } catch (err) {
    if (err instanceof AllAttemptsFailed) {
      logInference(env, row(call, prepared, "error", err.attempts, {}), defer);
      throw allAttemptsFailedError(err);
    }
    throw err;
  }
}
