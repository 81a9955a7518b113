/**
 * One chat inference as one pipeline: exact cache → semantic cache → plan → execute → record, each stage a
 * function below, run in that order by `runInference`; `streamInference` skips the caches. The contract
 * (input, answer, failures) is in inference-contract.ts.
 */
import type { Env } from "../../platform/env";
import { AppError } from "../../platform/errors";
import type { Plan } from "../config/plan";
import {
  AllAttemptsFailed,
  allAttemptsFailedError,
  executeChat,
  executeChatStream,
  type AttemptRecord,
  type ChatInput,
  type ExecuteDeps,
  type ExecutedStream,
} from "../router";
import type { Tier } from "../types";
import { planFor, toExecutionAttempts, withPlanSkips } from "./attempts";
import { cacheKey, readCache, writeCache, type CachedAnswer } from "./cache";
import { textOf } from "./convert";
import { uuidv7 } from "./ids";
import type { CacheStatus, Deferrer, InferenceAnswer, InferenceInput, InferenceStream } from "./inference-contract";
import { recordFailed, recordServed, type InferenceIdentity } from "./inference-record";
import { jsonRequest, parseJsonOutput } from "./json-output";
import { semanticProbeFor, type SemanticProbe } from "./semantic-cache";

/** One inference on its way through the stages. */
interface Run {
  env: Env;
  ctx: Deferrer;
  input: InferenceInput;
  id: InferenceIdentity;
  request: ChatInput;
  schema: Record<string, unknown> | undefined;
  /** The exact-cache key, when the exact cache is on. */
  key: string | null;
  /** The semantic lookup, kept so a fresh answer can be stored under the same embedding. */
  semantic: SemanticProbe | null;
}

/** An answer before it is recorded. */
type Found = Omit<InferenceAnswer, "inferenceId" | "episodeId" | "output">;

function begin(env: Env, ctx: Deferrer, input: InferenceInput): Run {
  const { target, options = {} } = input;
  if (target.fn?.type === "embedding")
    throw new AppError(400, "invalid_input", `function '${target.name}' is an embedding function`, {
      field: "body.function_name",
    });
  if (options.variantName !== undefined && target.fn && !target.fn.variants.some((v) => v.name === options.variantName))
    throw new AppError(404, "unknown_variant", `function '${target.name}' has no variant '${options.variantName}'`, {
      field: "body.variant_name",
    });
  const { json, schema } = jsonRequest(target.fn, options.json);
  return {
    env,
    ctx,
    input,
    id: {
      inferenceId: uuidv7(),
      episodeId: options.episodeId ?? uuidv7(),
      functionName: target.fn?.name,
      modelName: target.kind === "model" ? target.name : undefined,
      system: input.system,
      messages: input.messages,
      workspace: options.workspace,
      tags: options.tags,
      traceparent: options.traceparent,
      startedAt: Date.now(),
    },
    request: {
      system: input.system,
      messages: input.messages,
      params: input.params,
      json,
      tools: options.tools,
      tool_choice: options.toolChoice,
    },
    schema,
    key: null,
    semantic: null,
  };
}

function fromCache(run: Run, answer: CachedAnswer, cache: CacheStatus, attempts: AttemptRecord[] = []): Found {
  return {
    result: answer.result,
    usage: answer.result.usage,
    costUsd: undefined,
    served: {
      variant: answer.variant,
      provider: answer.provider,
      model: answer.model,
      tier: answer.tier as Tier,
    },
    attempts,
    cache,
    timings: { upstream_ms: 0, total_ms: Date.now() - run.id.startedAt },
  };
}

/** Stage 1: the exact-match cache (keyed on the normalised request). */
async function exactCache(run: Run): Promise<Found | null> {
  const cache = run.input.options?.cache;
  if (!cache) return null;
  run.key = await cacheKey({
    target: run.input.target.name,
    variant: run.input.options?.variantName ?? null,
    ...run.request,
  });
  if (!cache.read) return null;
  const hit = await readCache(run.env, run.key, { now: run.id.startedAt, maxAgeS: cache.maxAgeS });
  return hit ? fromCache(run, hit, "hit") : null;
}

/** Stage 2: the semantic cache (single-turn calls of a function that sets a threshold). */
async function semanticCache(run: Run): Promise<Found | null> {
  const { input } = run;
  run.semantic = await semanticProbeFor(
    run.env,
    (p) => run.ctx.waitUntil(p),
    {
      loaded: input.config,
      target: input.target,
      variantName: input.options?.variantName,
      system: input.system,
      messages: input.messages,
      params: input.params,
      tools: input.options?.tools,
      semantic: input.options?.semantic,
    },
    run.id.startedAt,
  );
  return run.semantic?.hit ? fromCache(run, run.semantic.hit, "semantic") : null;
}

/** Stage 3: the variants to try, in order, bound to their providers. */
function plan(run: Run): Plan {
  return planFor(run.input.config, run.input.target, {
    variantName: run.input.options?.variantName,
    maxTier: run.input.options?.maxTier,
  });
}

function deps(run: Run, p: Plan): ExecuteDeps {
  return {
    env: run.env,
    defer: (promise) => run.ctx.waitUntil(promise),
    functionName: run.input.target.fn?.name,
    deadlineMs: p.deadlineMs,
    signal: run.input.options?.signal,
  };
}

/** Stage 4: the providers, tier by tier; a fresh answer is remembered, a total failure served stale if cached. */
async function execute(run: Run, p: Plan): Promise<Found> {
  const { options } = run.input;
  const missStatus: CacheStatus = run.key || run.semantic ? "miss" : "off";
  try {
    const executed = await executeChat(toExecutionAttempts(p, run.env), run.request, deps(run, p));
    const answer: CachedAnswer = { result: executed.result, ...executed.attempt };
    if (run.key && options?.cache?.write)
      run.ctx.waitUntil(writeCache(run.env, run.key, run.input.target.name, answer, options.cache.ttlS, Date.now()));
    if (run.semantic) run.ctx.waitUntil(run.semantic.store(answer));
    return {
      result: executed.result,
      usage: executed.result.usage,
      costUsd: executed.cost_usd,
      served: executed.attempt,
      attempts: withPlanSkips(p, executed.attempts, executed.attempt.variant),
      cache: missStatus,
      timings: executed.timings,
    };
  } catch (err) {
    if (!(err instanceof AllAttemptsFailed)) throw err;
    const failed = new AllAttemptsFailed(withPlanSkips(p, err.attempts));
    // Every provider failed: an answer cached for this exact request, even expired, beats an error.
    const stale = run.key ? await readCache(run.env, run.key, { now: Date.now(), stale: true }) : null;
    if (stale) return fromCache(run, stale, "stale", failed.attempts);
    throw failed;
  }
}

/** Stage 5: log the answer (off the request path) and hand it back. */
function record(run: Run, found: Found): InferenceAnswer {
  recordServed(run.env, run.ctx, run.id, { ...found, response: found.result.content });
  const output =
    run.input.target.fn?.type === "json"
      ? { raw: textOf(found.result), parsed: parseJsonOutput(textOf(found.result), run.schema) }
      : undefined;
  return { inferenceId: run.id.inferenceId, episodeId: run.id.episodeId, ...found, output };
}

/** A failure after planning: logged with every attempt's fate, and turned into the 502 the caller answers. */
function failure(run: Run, err: unknown): unknown {
  if (!(err instanceof AllAttemptsFailed)) return err;
  recordFailed(run.env, run.ctx, run.id, err.attempts);
  return allAttemptsFailedError(err);
}

export async function runInference(env: Env, ctx: Deferrer, input: InferenceInput): Promise<InferenceAnswer> {
  const run = begin(env, ctx, input);
  let found: Found;
  try {
    found = (await exactCache(run)) ?? (await semanticCache(run)) ?? (await execute(run, plan(run)));
  } catch (err) {
    throw failure(run, err);
  }
  return record(run, found);
}

export async function streamInference(env: Env, ctx: Deferrer, input: InferenceInput): Promise<InferenceStream> {
  const run = begin(env, ctx, input);
  const p = plan(run);
  let executed: ExecutedStream;
  try {
    executed = await executeChatStream(toExecutionAttempts(p, env), run.request, deps(run, p));
  } catch (err) {
    throw failure(run, err instanceof AllAttemptsFailed ? new AllAttemptsFailed(withPlanSkips(p, err.attempts)) : err);
  }
  const attempts = withPlanSkips(p, executed.attempts, executed.attempt.variant);
  ctx.waitUntil(
    executed.done.then((outcome) =>
      recordServed(env, ctx, run.id, {
        served: executed.attempt,
        attempts: withPlanSkips(p, executed.attempts, executed.attempt.variant),
        usage: outcome.usage,
        costUsd: outcome.cost_usd,
        cache: "miss",
        response: null,
        ttftMs: executed.timings.ttft_ms,
        status: outcome.error ? "stream_error" : "ok",
      }),
    ),
  );
  return { ...executed, attempts, inferenceId: run.id.inferenceId, episodeId: run.id.episodeId };
}
