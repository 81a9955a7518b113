/**
 * `POST /inference` in TensorZero's shapes (chat and JSON functions, or a model by name; streaming as SSE).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { requireScope } from "../../platform/auth/middleware";
import { bearerSecurity, ErrorSchema, errorResponses, jsonContent } from "../../platform/openapi";
import { formatTraceparent } from "../../platform/trace";
import { createRouter } from "../../platform/validation";
import { loadGatewayConfig } from "../config/source";
import { resolveTarget } from "./attempts";
import { fromTensorZeroInput, toTensorZeroContent } from "./convert";
import type { FunctionConfig } from "../config/types";
import type { CacheOptions } from "./cache";
import { InferenceRequestSchema, InferenceResponseSchema, type InferenceRequest } from "./inference-schemas";
import { runInference, streamInference } from "./inference-pipeline";
import { semanticOptions } from "./semantic-cache";
import { serverTiming } from "./server-timing";
import { sseResponse } from "./sse";

/** TensorZero's cache_options win; otherwise the function's `cache` config; off by default. */
function cacheOptions(
  req: InferenceRequest["cache_options"],
  fn: FunctionConfig["cache"] | undefined,
): CacheOptions | undefined {
  const mode = req?.enabled ?? (fn?.enabled ? "on" : "off");
  if (mode === "off") return undefined;
  return { read: mode !== "write_only", write: mode !== "read_only", ttlS: fn?.ttlS ?? 3600, maxAgeS: req?.max_age_s };
}

const route = createRoute({
  method: "post",
  path: "/inference",
  tags: ["models"],
  summary: "Run a function (or a model) local-first across every configured provider",
  security: bearerSecurity,
  middleware: [requireScope("models:infer")] as const,
  request: { body: { required: true, ...jsonContent(InferenceRequestSchema) } },
  responses: {
    200: {
      description: "The inference; with `stream: true`, Server-Sent Events ending in a usage frame and [DONE]",
      content: { "application/json": { schema: InferenceResponseSchema }, "text/event-stream": { schema: z.string() } },
    },
    ...errorResponses(400, 401, 403, 404, 415, 429),
    502: { description: "Every variant failed; error.details.attempts says how", ...jsonContent(ErrorSchema) },
  },
});

export const inferenceRoutes = createRouter().openapi(route, async (c) => {
  const body = c.req.valid("json");
  const ctx = { waitUntil: (p: Promise<unknown>) => c.executionCtx.waitUntil(p) };
  const loaded = await loadGatewayConfig(c.env, { waitUntil: (p) => c.executionCtx.waitUntil(p) });
  const target = resolveTarget(loaded, body);
  const cc = body.params?.chat_completion;
  const input = {
    config: loaded,
    target,
    ...fromTensorZeroInput(body.input),
    params: {
      temperature: cc?.temperature,
      max_tokens: cc?.max_tokens,
      top_p: cc?.top_p,
      seed: cc?.seed,
      presence_penalty: cc?.presence_penalty,
      frequency_penalty: cc?.frequency_penalty,
      stop: cc?.stop_sequences,
    },
    options: {
      variantName: body.variant_name,
      episodeId: body.episode_id,
      tags: body.tags,
      workspace: c.get("principal").workspaceId,
      traceparent: formatTraceparent(c.get("trace")),
      cache: cacheOptions(body.cache_options, target.fn?.cache),
      semantic: semanticOptions(target.fn, body.cache_options?.enabled),
    },
  };
  const isJson = target.fn?.type === "json";
  if (body.stream) {
    const executed = await streamInference(c.env, ctx, input);
    const ids = {
      inference_id: executed.inferenceId,
      episode_id: executed.episodeId,
      variant_name: executed.attempt.variant,
    };
    return sseResponse(executed, {
      element: (el) => {
        if (el.type === "text_delta")
          return [{ ...ids, ...(isJson ? { raw: el.text } : { content: [{ type: "text", id: "0", text: el.text }] }) }];
        if (el.type === "tool_call_delta")
          return [
            {
              ...ids,
              content: [
                {
                  type: "tool_call",
                  id: el.id ?? String(el.index),
                  raw_name: el.name ?? "",
                  raw_arguments: el.arguments_delta,
                },
              ],
            },
          ];
        if (el.type === "error") return [{ ...ids, error: { kind: el.kind, message: el.message }, usage: el.usage }];
        return [];
      },
      final: (outcome, timings) => [
        {
          ...ids,
          usage: outcome.usage,
          finish_reason: outcome.finish_reason ?? "stop",
          timings: { ...timings, total_ms: outcome.total_ms },
          ...(outcome.error ? { error: outcome.error } : {}),
        },
      ],
    });
  }
  const answer = await runInference(c.env, ctx, input);
  const common = {
    inference_id: answer.inferenceId,
    episode_id: answer.episodeId,
    variant_name: answer.served.variant,
    usage: answer.usage,
    finish_reason: answer.result.finish_reason,
  };
  const response = answer.output
    ? { ...common, output: answer.output }
    : { ...common, content: toTensorZeroContent(answer.result) };
  return c.json(response, 200, { "Server-Timing": serverTiming(answer.timings), "x-botplane-cache": answer.cache });
});
