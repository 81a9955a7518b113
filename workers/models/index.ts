/**
 * The model gateway's public module: what other domains (chat gateway, ChainBot) may import from
 * `workers/models`. Load the config, resolve a function or model, run one chat inference through the
 * pipeline (exact cache → semantic cache → plan → execute → record); nothing else here is a contract.
 *
 *   const config = await loadGatewayConfig(env, ctx);
 *   const answer = await runInference(env, ctx, {
 *     config,
 *     target: resolveTarget(config, { function_name: "chat" }),
 *     messages: [{ role: "user", content: [{ type: "text", text: "hello" }] }],
 *     params: { max_tokens: 256 },
 *     options: { traceparent, workspace, tags: { caller: "chainbot" } },
 *   });
 *   // answer.result.content, answer.usage, answer.costUsd, answer.served, answer.attempts, answer.cache
 */
export { loadGatewayConfig, type LoadedConfig } from "./config/source";
export { resolveTarget, type Target } from "./api/attempts";
export { runInference, streamInference } from "./api/inference-pipeline";
export { embedText } from "./api/semantic-cache";
export type {
  CacheStatus,
  Deferrer,
  InferenceAnswer,
  InferenceInput,
  InferenceOptions,
  InferenceStream,
} from "./api/inference-contract";
export type { AttemptRecord, Served, Timings } from "./router";
export type { ChatMessage, ChatParams, ChatResult, ContentBlock, Usage } from "./types";
