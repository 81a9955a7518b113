/**
 * The contract of one chat inference, as the HTTP endpoints and other domains (chat gateway, ChainBot, through
 * `workers/models/index.ts`) call it in-process with `runInference(env, ctx, input)` (inference-pipeline.ts):
 * - input: the loaded gateway `config`, a resolved `target` (function or model), the `messages` (+ optional
 *   `system`) and `params`; `options` for everything else (pinned variant, tools, JSON mode, episode, tags,
 *   workspace, traceparent, cache modes, abort signal). `ctx.waitUntil` receives the work that outlives the
 *   answer (log rows, cache writes, breaker and budget reports).
 * - output: the `result` (content, usage, finish reason), `usage`, `costUsd`, the variant that `served`, every
 *   variant's fate in `attempts` (in plan order, disabled ones included as `skipped`), the `cache` status,
 *   `timings`, and for json functions the `output` parsed against the function's schema.
 * - failure: an AppError — 400 (embedding function, provider refused the input), 404 (unknown function,
 *   model or variant), 502 `all_attempts_failed` with `details.attempts` (unless a stale cached answer could
 *   be served instead).
 * `streamInference` is the same without the caches: it resolves once the first token has arrived (failing
 * like `runInference` before that) and records the inference when the stream ends.
 */
import type { LoadedConfig } from "../config/source";
import type { AttemptRecord, ExecutedStream, Served, Timings } from "../router";
import type { ChatMessage, ChatParams, ChatRequest, ChatResult, Tier, Usage } from "../types";
import type { Target } from "./attempts";
import type { CacheOptions } from "./cache";
import type { SemanticOptions } from "./semantic-cache";

/** How the answer relates to the caches: served from one, fresh while caching, or with caching off. */
export type CacheStatus = "hit" | "semantic" | "miss" | "stale" | "off";

/** Where work that outlives the answer goes (an ExecutionContext, or anything with `waitUntil`). */
export interface Deferrer {
  waitUntil(p: Promise<unknown>): void;
}

export interface InferenceOptions {
  /** TensorZero's `variant_name`: try only this variant. */
  variantName?: string | undefined;
  tools?: ChatRequest["tools"];
  toolChoice?: ChatRequest["tool_choice"];
  /** JSON mode for a chat target (a json function's own schema wins). */
  json?: ChatRequest["json"];
  episodeId?: string | undefined;
  tags?: Record<string, string> | undefined;
  workspace?: string | undefined;
  /** W3C traceparent of the caller's span; ERROR events about providers carry it. */
  traceparent?: string | undefined;
  /** Exact-match cache use; off when absent. */
  cache?: CacheOptions | undefined;
  /** Semantic cache use (single-turn calls of a function with a threshold); off when absent. */
  semantic?: SemanticOptions | undefined;
  /** The highest tier to try (`free`: local and free only); variants above it are reported as skipped. */
  maxTier?: Tier | undefined;
  /** Aborts every attempt (the caller went away). */
  signal?: AbortSignal | undefined;
}

export interface InferenceInput {
  config: LoadedConfig;
  target: Target;
  system?: string | undefined;
  messages: ChatMessage[];
  params: ChatParams;
  options?: InferenceOptions | undefined;
}

export interface InferenceAnswer {
  inferenceId: string;
  episodeId: string;
  result: ChatResult;
  usage: Usage;
  costUsd: number | undefined;
  served: Served;
  attempts: AttemptRecord[];
  cache: CacheStatus;
  timings: Timings;
  /** json functions only: the raw text and its value, null when it is not JSON or misses the schema. */
  output?: { raw: string; parsed: unknown } | undefined;
}

export interface InferenceStream extends ExecutedStream {
  inferenceId: string;
  episodeId: string;
}
