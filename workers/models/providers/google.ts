/**
 * The `google` provider (Gemini, AI Studio): `models/{model}:generateContent`,
 * `:streamGenerateContent?alt=sse` (each frame a partial response, no `[DONE]`: the stream ends with the
 * connection, after a frame carrying finishReason) and `:batchEmbedContents`, with `x-goog-api-key`.
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
  StreamChunk,
  Usage,
} from "../types";
import { ProviderError } from "../types";
import { batchEmbedSchema, finishReasonOf, responseSchema, toGeminiBody, usageOf } from "./google-wire";
import { streamError } from "./http-errors";
import { parseFrame, sseEvents } from "./sse";
import { joinUrl, parseWith, postJson, readJson, streamBody } from "./upstream";

export const GOOGLE_BASE_URL = "https://generativelanguage.googleapis.com/v1beta";

export function createGoogleProvider(settings: ProviderSettings): Provider {
  const name = settings.name;
  const base = settings.url ?? GOOGLE_BASE_URL;
  const headers: Record<string, string> = settings.apiKey ? { "x-goog-api-key": settings.apiKey } : {};
  const modelUrl = (model: string, method: string) =>
    joinUrl(base, `models/${model.replace(/^models\//, "")}:${method}`);

  async function chat(req: ChatRequest): Promise<ChatResult> {
    const res = await postJson(
      name,
      modelUrl(req.model, "generateContent"),
      headers,
      toGeminiBody(name, req),
      req.signal,
    );
    const body = await readJson(name, res, responseSchema, req.signal);
    if (body.error)
      throw streamError(name, body.error.code ?? body.error.status ?? undefined, body.error.message ?? "error");
    const candidate = body.candidates?.[0];
    // No candidate plus a blockReason is the prompt being refused: a content filter, not a retryable failure.
    if (candidate === undefined) {
      if (body.promptFeedback?.blockReason)
        return {
          content: [],
          usage: usageOf(body.usageMetadata),
          finish_reason: "content_filter",
          model: body.modelVersion ?? undefined,
        };
      throw new ProviderError("stream", `${name}: response has no candidates`);
    }
    const content: ContentBlock[] = [];
    let text = "";
    let calls = 0;
    for (const part of candidate.content?.parts ?? []) {
      if (part.text && !part.thought) text += part.text;
      if (part.functionCall) {
        content.push({
          type: "tool_call",
          id: part.functionCall.id ?? `call_${calls}`,
          name: part.functionCall.name,
          arguments: JSON.stringify(part.functionCall.args ?? {}),
        });
        calls += 1;
      }
    }
    if (text !== "") content.unshift({ type: "text", text });
    return {
      content,
      usage: usageOf(body.usageMetadata),
      finish_reason: finishReasonOf(candidate.finishReason, calls > 0),
      model: body.modelVersion ?? undefined,
    };
  }

  async function* chatStream(req: ChatRequest): AsyncGenerator<StreamChunk> {
    const res = await postJson(
      name,
      `${modelUrl(req.model, "streamGenerateContent")}?alt=sse`,
      headers,
      toGeminiBody(name, req),
      req.signal,
    );
    let usage: Usage | undefined;
    let finish: FinishReason | undefined;
    let calls = 0;
    for await (const event of sseEvents(name, streamBody(name, res), req.signal)) {
      const frame = parseWith(name, responseSchema, parseFrame(name, event.data));
      if (frame.error)
        throw streamError(name, frame.error.code ?? frame.error.status ?? undefined, frame.error.message ?? "error");
      // usageMetadata is cumulative: the last one seen is the total.
      if (frame.usageMetadata) usage = usageOf(frame.usageMetadata);
      if (frame.promptFeedback?.blockReason) finish = "content_filter";
      const candidate = frame.candidates?.[0];
      for (const part of candidate?.content?.parts ?? []) {
        if (part.text && !part.thought) yield { type: "text_delta", text: part.text };
        // Gemini sends each function call whole, never in pieces.
        if (part.functionCall) {
          yield {
            type: "tool_call_delta",
            index: calls,
            id: part.functionCall.id ?? `call_${calls}`,
            name: part.functionCall.name,
            arguments_delta: JSON.stringify(part.functionCall.args ?? {}),
          };
          calls += 1;
        }
      }
      if (candidate?.finishReason) finish = finishReasonOf(candidate.finishReason, calls > 0);
    }
    if (finish === undefined) throw new ProviderError("stream", `${name}: stream ended without a finishReason`);
    if (usage) yield { type: "usage", usage };
    yield { type: "finish", finish_reason: finish };
  }

  async function embed(req: EmbedRequest): Promise<EmbedResult> {
    const model = `models/${req.model.replace(/^models\//, "")}`;
    const requests = req.input.map((text) => ({ model, content: { parts: [{ text }] } }));
    const res = await postJson(name, modelUrl(req.model, "batchEmbedContents"), headers, { requests }, req.signal);
    const body = await readJson(name, res, batchEmbedSchema, req.signal);
    if (body.embeddings.length !== req.input.length)
      throw new ProviderError("stream", `${name}: ${body.embeddings.length} embeddings for ${req.input.length} inputs`);
    // batchEmbedContents reports no token counts.
    return { embeddings: body.embeddings.map((e) => e.values), usage: { input_tokens: 0 } };
  }

  return { name, type: "google", chat, chatStream, embed };
}
