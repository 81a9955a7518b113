/**
 * The `anthropic` provider: `POST /v1/messages` with `x-api-key` and `anthropic-version`, non-streaming and
 * the SSE event sequence (message_start → content_block_start/delta/stop → message_delta → message_stop,
 * `ping` and unknown events ignored, `error` events classified — `overloaded_error` stays retryable).
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
} from "../types";
import { ProviderError } from "../types";
import {
  eventSchema,
  inputTokens,
  JSON_TOOL,
  messageSchema,
  stopReason,
  toAnthropicBody,
  usesJsonTool,
} from "./anthropic-wire";
import { streamError } from "./http-errors";
import { parseFrame, sseEvents } from "./sse";
import { joinUrl, parseWith, postJson, readJson, streamBody } from "./upstream";

export const ANTHROPIC_BASE_URL = "https://api.anthropic.com/v1";
export const ANTHROPIC_VERSION = "2023-06-01";

export function createAnthropicProvider(settings: ProviderSettings): Provider {
  const name = settings.name;
  const url = joinUrl(settings.url ?? ANTHROPIC_BASE_URL, "messages");
  const headers: Record<string, string> = { "anthropic-version": ANTHROPIC_VERSION };
  if (settings.apiKey) headers["x-api-key"] = settings.apiKey;

  async function chat(req: ChatRequest): Promise<ChatResult> {
    const jsonTool = usesJsonTool(req);
    const res = await postJson(name, url, headers, toAnthropicBody(name, req), req.signal);
    const body = await readJson(name, res, messageSchema, req.signal);
    const content: ContentBlock[] = [];
    for (const block of body.content) {
      if (block.type === "text" && block.text) content.push({ type: "text", text: block.text });
      else if (block.type === "tool_use" && jsonTool && block.name === JSON_TOOL)
        content.push({ type: "text", text: JSON.stringify(block.input ?? {}) });
      else if (block.type === "tool_use")
        content.push({
          type: "tool_call",
          id: block.id ?? "",
          name: block.name ?? "",
          arguments: JSON.stringify(block.input ?? {}),
        });
    }
    return {
      content,
      usage: { input_tokens: inputTokens(body.usage), output_tokens: body.usage?.output_tokens ?? 0 },
      finish_reason: stopReason(body.stop_reason, jsonTool),
      model: body.model ?? undefined,
    };
  }

  async function* chatStream(req: ChatRequest): AsyncGenerator<StreamChunk> {
    const jsonTool = usesJsonTool(req);
    const res = await postJson(name, url, headers, { ...toAnthropicBody(name, req), stream: true }, req.signal);
    let input = 0;
    let output = 0;
    let finish: FinishReason = "unknown";
    // Anthropic numbers content blocks; the gateway numbers tool calls, so block index → tool-call index.
    const toolIndex = new Map<number, number>();
    const jsonBlocks = new Set<number>();
    for await (const frame of sseEvents(name, streamBody(name, res), req.signal)) {
      const event = parseWith(name, eventSchema, parseFrame(name, frame.data));
      const index = event.index ?? 0;
      switch (event.type) {
        case "message_start":
          input = inputTokens(event.message?.usage);
          output = event.message?.usage?.output_tokens ?? 0;
          break;
        case "content_block_start": {
          const block = event.content_block;
          if (block?.type === "text" && block.text) yield { type: "text_delta", text: block.text };
          if (block?.type === "tool_use" && jsonTool && block.name === JSON_TOOL) jsonBlocks.add(index);
          else if (block?.type === "tool_use") {
            toolIndex.set(index, toolIndex.size);
            yield {
              type: "tool_call_delta",
              index: toolIndex.size - 1,
              id: block.id ?? undefined,
              name: block.name ?? undefined,
              arguments_delta: "",
            };
          }
          break;
        }
        case "content_block_delta": {
          const delta = event.delta;
          if (delta?.type === "text_delta" && delta.text) yield { type: "text_delta", text: delta.text };
          if (delta?.type === "input_json_delta" && delta.partial_json) {
            const call = toolIndex.get(index);
            if (jsonBlocks.has(index)) yield { type: "text_delta", text: delta.partial_json };
            else if (call !== undefined)
              yield { type: "tool_call_delta", index: call, arguments_delta: delta.partial_json };
          }
          break;
        }
        case "message_delta":
          if (event.delta?.stop_reason) finish = stopReason(event.delta.stop_reason, jsonTool);
          // message_delta usage is cumulative; newer API versions repeat the input count there too.
          output = event.usage?.output_tokens ?? output;
          input = Math.max(input, inputTokens(event.usage));
          break;
        case "message_stop":
          yield { type: "usage", usage: { input_tokens: input, output_tokens: output } };
          yield { type: "finish", finish_reason: finish };
          return;
        case "error":
          throw streamError(name, event.error?.type ?? undefined, event.error?.message ?? "error");
        default:
          // ping, content_block_stop, and event types added after this was written.
          break;
      }
    }
    throw new ProviderError("stream", `${name}: stream ended before message_stop`);
  }

  function embed(_req: EmbedRequest): Promise<EmbedResult> {
    // A config pointing an embedding variant here is skipped like an unconfigured provider, not a caller error.
    return Promise.reject(new ProviderError("unavailable", `${name}: Anthropic has no embeddings API`));
  }

  return { name, type: "anthropic", chat, chatStream, embed };
}
