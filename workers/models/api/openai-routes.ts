/**
 * The OpenAI-compatible surface (`/openai/v1`): chat completions (with streaming and the final usage chunk),
 * embeddings and the model list, so apps point an OpenAI SDK at botplane and get the local-first gateway.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { requireScope } from "../../platform/auth/middleware";
import { AppError } from "../../platform/errors";
import { bearerSecurity, ErrorSchema, errorResponses, jsonContent } from "../../platform/openapi";
import { formatTraceparent } from "../../platform/trace";
import { createRouter } from "../../platform/validation";
import { loadGatewayConfig } from "../config/source";
import { AllAttemptsFailed, allAttemptsFailedError, executeEmbed } from "../router";
import type { ChatRequest } from "../types";
import { planFor, resolveTarget, targetFromOpenAiModel, toExecutionAttempts } from "./attempts";
import { fromOpenAiMessages, openAiFinish, toOpenAiMessage } from "./convert";
import { runInference, streamInference } from "./inference-pipeline";
import { semanticOptions } from "./semantic-cache";
import { serverTiming } from "./server-timing";
import { ChatCompletionRequestSchema, EmbeddingsRequestSchema } from "./openai-schemas";
import { sseResponse } from "./sse";

const tags = ["openai"];
const anyJson = z.record(z.string(), z.unknown());

const chat = createRoute({
  method: "post",
  path: "/openai/v1/chat/completions",
  tags,
  summary:
    "OpenAI-compatible chat completions (model: tensorzero::function_name::F, tensorzero::model_name::M, or a configured name)",
  security: bearerSecurity,
  middleware: [requireScope("models:infer")] as const,
  request: { body: { required: true, ...jsonContent(ChatCompletionRequestSchema) } },
  responses: {
    200: {
      description: "chat.completion, or chat.completion.chunk SSE frames",
      content: { "application/json": { schema: anyJson }, "text/event-stream": { schema: z.string() } },
    },
    ...errorResponses(400, 401, 403, 404, 415, 429),
    502: { description: "Every variant failed", ...jsonContent(ErrorSchema) },
  },
});

const embeddings = createRoute({
  method: "post",
  path: "/openai/v1/embeddings",
  tags,
  summary: "OpenAI-compatible embeddings",
  security: bearerSecurity,
  middleware: [requireScope("models:infer")] as const,
  request: { body: { required: true, ...jsonContent(EmbeddingsRequestSchema) } },
  responses: {
    200: { description: "Embeddings", ...jsonContent(anyJson) },
    ...errorResponses(400, 401, 403, 404, 415),
    502: { description: "Every variant failed", ...jsonContent(ErrorSchema) },
  },
});

const models = createRoute({
  method: "get",
  path: "/openai/v1/models",
  tags,
  summary: "Functions and models, as OpenAI model objects",
  security: bearerSecurity,
  middleware: [requireScope("models:infer")] as const,
  responses: { 200: { description: "The list", ...jsonContent(anyJson) }, ...errorResponses(401, 403) },
});

/** An embedding as the base64 of its little-endian float32 bytes, OpenAI's `encoding_format: "base64"`. */
function float32Base64(values: readonly number[]): string {
  const bytes = new Uint8Array(new Float32Array(values).buffer);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function jsonFormat(rf: z.infer<typeof ChatCompletionRequestSchema>["response_format"]): ChatRequest["json"] {
  if (!rf || rf.type === "text") return undefined;
  if (rf.type === "json_object") return { mode: "json_object" };
  return rf.json_schema.schema
    ? { mode: "json_schema", name: rf.json_schema.name, schema: rf.json_schema.schema }
    : { mode: "json_object" };
}

export const openAiRoutes = createRouter()
  .openapi(chat, async (c) => {
    const body = c.req.valid("json");
    const ctx = { waitUntil: (p: Promise<unknown>) => c.executionCtx.waitUntil(p) };
    const loaded = await loadGatewayConfig(c.env, ctx);
    const target = resolveTarget(loaded, targetFromOpenAiModel(body.model));
    const stop = typeof body.stop === "string" ? [body.stop] : body.stop;
    const input = {
      config: loaded,
      target,
      ...fromOpenAiMessages(body.messages),
      params: {
        temperature: body.temperature,
        top_p: body.top_p,
        max_tokens: body.max_completion_tokens ?? body.max_tokens,
        stop,
        seed: body.seed,
        presence_penalty: body.presence_penalty,
        frequency_penalty: body.frequency_penalty,
      },
      options: {
        variantName: body["tensorzero::variant_name"],
        json: jsonFormat(body.response_format),
        tools: body.tools?.map((t) => ({
          name: t.function.name,
          description: t.function.description,
          parameters: t.function.parameters ?? { type: "object" },
        })),
        toolChoice: typeof body.tool_choice === "object" ? { name: body.tool_choice.function.name } : body.tool_choice,
        episodeId: body["tensorzero::episode_id"],
        tags: body["tensorzero::tags"],
        workspace: c.get("principal").workspaceId,
        traceparent: formatTraceparent(c.get("trace")),
        semantic: semanticOptions(target.fn, undefined),
      },
    };
    const created = Math.floor(Date.now() / 1000);
    if (body.stream) {
      const executed = await streamInference(c.env, ctx, input);
      const base = {
        id: executed.inferenceId,
        object: "chat.completion.chunk",
        created,
        model: body.model,
        "tensorzero::episode_id": executed.episodeId,
        "tensorzero::variant_name": executed.attempt.variant,
      };
      let first = true;
      const delta = (d: Record<string, unknown>) => {
        const withRole = first ? { role: "assistant", ...d } : d;
        first = false;
        return { ...base, choices: [{ index: 0, delta: withRole, finish_reason: null }] };
      };
      return sseResponse(executed, {
        element: (el) => {
          if (el.type === "text_delta") return [delta({ content: el.text })];
          if (el.type === "tool_call_delta")
            return [
              delta({
                tool_calls: [
                  {
                    index: el.index,
                    ...(el.id ? { id: el.id, type: "function" } : {}),
                    function: { ...(el.name ? { name: el.name } : {}), arguments: el.arguments_delta },
                  },
                ],
              }),
            ];
          if (el.type === "error") return [{ ...base, choices: [], error: { message: el.message, type: el.kind } }];
          return [];
        },
        final: (outcome, timings) => {
          // Timings ride on the finishing chunk (streams have no Server-Timing header); SDKs ignore the extra key.
          const finishing = {
            ...base,
            choices: [
              { index: 0, delta: {}, finish_reason: outcome.error ? "error" : openAiFinish(outcome.finish_reason) },
            ],
            "tensorzero::timings": { ...timings, total_ms: outcome.total_ms },
          };
          const frames: unknown[] = [finishing];
          const usage = {
            prompt_tokens: outcome.usage.input_tokens,
            completion_tokens: outcome.usage.output_tokens,
            total_tokens: outcome.usage.input_tokens + outcome.usage.output_tokens,
          };
          if (body.stream_options?.include_usage) frames.push({ ...base, choices: [], usage });
          return frames;
        },
      });
    }
    const answer = await runInference(c.env, ctx, input);
    const { result, timings } = answer;
    return c.json(
      {
        id: answer.inferenceId,
        object: "chat.completion",
        created,
        model: body.model,
        choices: [
          {
            index: 0,
            message: toOpenAiMessage(result),
            finish_reason: openAiFinish(result.finish_reason),
            logprobs: null,
          },
        ],
        usage: {
          prompt_tokens: result.usage.input_tokens,
          completion_tokens: result.usage.output_tokens,
          total_tokens: result.usage.input_tokens + result.usage.output_tokens,
        },
        "tensorzero::episode_id": answer.episodeId,
        "tensorzero::variant_name": answer.served.variant,
      },
      200,
      { "Server-Timing": serverTiming(timings), "x-botplane-cache": answer.cache },
    );
  })
  .openapi(embeddings, async (c) => {
    const body = c.req.valid("json");
    const loaded = await loadGatewayConfig(c.env, { waitUntil: (p) => c.executionCtx.waitUntil(p) });
    const wanted = targetFromOpenAiModel(body.model);
    const target = resolveTarget(loaded, wanted);
    if (target.fn && target.fn.type !== "embedding")
      throw new AppError(400, "invalid_input", `function '${target.name}' is not an embedding function`, {
        field: "body.model",
      });
    const plan = planFor(loaded, target, { embedding: true });
    const input = typeof body.input === "string" ? [body.input] : body.input;
    try {
      const executed = await executeEmbed(
        toExecutionAttempts(plan, c.env),
        { input },
        {
          env: c.env,
          defer: (p) => c.executionCtx.waitUntil(p),
          functionName: target.fn?.name,
          deadlineMs: plan.deadlineMs,
        },
      );
      const data = executed.result.embeddings.map((embedding, index) => ({
        object: "embedding",
        index,
        embedding: body.encoding_format === "base64" ? float32Base64(embedding) : embedding,
      }));
      const usage = {
        prompt_tokens: executed.result.usage.input_tokens,
        total_tokens: executed.result.usage.input_tokens,
      };
      return c.json({ object: "list", data, model: body.model, usage }, 200, {
        "Server-Timing": serverTiming(executed.timings),
      });
    } catch (err) {
      if (err instanceof AllAttemptsFailed) throw allAttemptsFailedError(err);
      throw err;
    }
  })
  .openapi(models, async (c) => {
    const { config } = await loadGatewayConfig(c.env);
    const created = 0;
    const data = [
      ...[...config.functions.values()].map((f) => ({
        id:
          f.type === "embedding"
            ? `tensorzero::embedding_model_name::${f.name}`
            : `tensorzero::function_name::${f.name}`,
        object: "model",
        created,
        owned_by: "botplane",
      })),
      ...[...config.models.keys()].map((m) => ({
        id: `tensorzero::model_name::${m}`,
        object: "model",
        created,
        owned_by: "botplane",
      })),
    ];
    return c.json({ object: "list", data }, 200);
  });
