/**
 * The `openai` provider: OpenAI and every OpenAI-compatible upstream (OpenRouter, GLM, any `url`).
 * `chat/completions` and `embeddings` are appended to a base URL that already carries its version. The
 * compatible core is exported for Workers AI's REST `/ai/v1` surface.
 */
import type {
  ChatRequest,
  ChatResult,
  ContentBlock,
  EmbedRequest,
  EmbedResult,
  FinishReason,
  Provider,
  ProviderSettings,
  ProviderType,
  StreamChunk,
} from "../types";
import { ProviderError } from "../types";
import { streamError } from "./http-errors";
import {
  chunkSchema,
  completionSchema,
  embeddingsSchema,
  finishReason,
  type OpenAIQuirks,
  quirksFor,
  toOpenAIBody,
  usageOf,
} from "./openai-wire";
import { parseFrame, sseEvents } from "./sse";
import { joinUrl, parseWith, postJson, readJson, streamBody } from "./upstream";

export const OPENAI_BASE_URL = "https://api.openai.com/v1";

export interface OpenAICompatibleOptions {
  name: string;
  type: ProviderType;
  baseUrl: string;
  apiKey: string | undefined;
  quirks?: OpenAIQuirks | undefined;
}

export function createOpenAIProvider(settings: ProviderSettings): Provider {
  return createOpenAICompatible({
    name: settings.name,
    type: "openai",
    baseUrl: settings.url ?? OPENAI_BASE_URL,
    apiKey: settings.apiKey,
  });
}

export function createOpenAICompatible(options: OpenAICompatibleOptions): Provider {
  const { name, baseUrl } = options;
  const quirks = options.quirks ?? quirksFor(baseUrl);
  const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  const chatUrl = joinUrl(baseUrl, "chat/completions");
  const embedUrl = joinUrl(baseUrl, "embeddings");

  async function chat(req: ChatRequest): Promise<ChatResult> {
    const res = await postJson(name, chatUrl, headers, toOpenAIBody(req, quirks), req.signal);
    const body = await readJson(name, res, completionSchema, req.signal);
    // Some compatible hosts answer 200 with an error object instead of a status.
    if (body.error)
      throw streamError(name, body.error.code ?? body.error.type ?? undefined, body.error.message ?? "error");
    const choice = body.choices?.[0];
    if (choice === undefined) throw new ProviderError("stream", `${name}: response has no choices`);
    const content: ContentBlock[] = [];
    if (choice.message.content) content.push({ type: "text", text: choice.message.content });
    for (const [i, call] of (choice.message.tool_calls ?? []).entries()) {
      content.push({
        type: "tool_call",
        id: call.id ?? `call_${i}`,
        name: call.function.name,
        arguments: call.function.arguments ?? "",
      });
    }
    return {
      content,
      usage: usageOf(body.usage),
      finish_reason: finishReason(choice.finish_reason),
      model: body.model ?? undefined,
    };
  }

  async function* chatStream(req: ChatRequest): AsyncGenerator<StreamChunk> {
    const body = {
      ...toOpenAIBody(req, quirks),
      stream: true,
      stream_options: quirks.streamUsage ? { include_usage: true } : undefined,
    };
    const res = await postJson(name, chatUrl, headers, body, req.signal);
    let finish: FinishReason | undefined;
    let done = false;
    for await (const event of sseEvents(name, streamBody(name, res), req.signal)) {
      if (event.data === "[DONE]") {
        done = true;
        break;
      }
      const chunk = parseWith(name, chunkSchema, parseFrame(name, event.data));
      // OpenRouter reports failures after the 200 as a data frame carrying `error` (finish_reason "error").
      if (chunk.error)
        throw streamError(name, chunk.error.code ?? chunk.error.type ?? undefined, chunk.error.message ?? "error");
      for (const choice of chunk.choices ?? []) {
        if (choice.finish_reason === "error")
          throw streamError(name, undefined, "upstream ended the generation with an error");
        const delta = choice.delta;
        if (delta?.content) yield { type: "text_delta", text: delta.content };
        for (const [i, call] of (delta?.tool_calls ?? []).entries()) {
          yield {
            type: "tool_call_delta",
            index: call.index ?? i,
            id: call.id ?? undefined,
            name: call.function?.name ?? undefined,
            arguments_delta: call.function?.arguments ?? "",
          };
        }
        if (choice.finish_reason) finish = finishReason(choice.finish_reason);
      }
      // The usage chunk (`choices: []`) comes after the finish_reason chunk, so `finish` is held to the end.
      if (chunk.usage) yield { type: "usage", usage: usageOf(chunk.usage) };
    }
    if (!done && finish === undefined) throw new ProviderError("stream", `${name}: stream ended before it finished`);
    yield { type: "finish", finish_reason: finish ?? "unknown" };
  }

  async function embed(req: EmbedRequest): Promise<EmbedResult> {
    const res = await postJson(name, embedUrl, headers, { model: req.model, input: req.input }, req.signal);
    const body = await readJson(name, res, embeddingsSchema, req.signal);
    const ordered = [...body.data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    if (ordered.length !== req.input.length)
      throw new ProviderError("stream", `${name}: ${ordered.length} embeddings for ${req.input.length} inputs`);
    return { embeddings: ordered.map((d) => d.embedding), usage: { input_tokens: body.usage?.prompt_tokens ?? 0 } };
  }

  return { name, type: options.type, chat, chatStream, embed };
}
