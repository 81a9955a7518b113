/**
 * OpenAI chat-completions wire format: `ChatRequest` → request body, the response/chunk/embedding shapes
 * (zod, lenient about extra fields), and the per-host quirks of OpenAI-compatible upstreams. Used by the
 * `openai` provider (OpenAI, OpenRouter, GLM, any compatible `url`) and by Workers AI's REST `/ai/v1`.
 */
import { z } from "zod";
import type { ChatMessage, ChatRequest, FinishReason } from "../types";
import { textOf } from "./upstream";

/** What differs between OpenAI-compatible hosts (GLM's from third-party adapters, per the research notes). */
export interface OpenAIQuirks {
  /** OpenAI's reasoning models reject `max_tokens`; compatible hosts mostly only know `max_tokens`. */
  maxTokensField: "max_tokens" | "max_completion_tokens";
  /** GLM rejects `stream_options`. */
  streamUsage: boolean;
  /** GLM accepts only `json_object`: a schema is then asked for in the system prompt. */
  jsonSchema: boolean;
  /** GLM rejects presence/frequency penalties. */
  penalties: boolean;
}

export function quirksFor(baseUrl: string): OpenAIQuirks {
  const host = hostOf(baseUrl);
  if (host === "api.openai.com")
    return { maxTokensField: "max_completion_tokens", streamUsage: true, jsonSchema: true, penalties: true };
  if (host.endsWith("bigmodel.cn") || host.endsWith("z.ai"))
    return { maxTokensField: "max_tokens", streamUsage: false, jsonSchema: false, penalties: false };
  return { maxTokensField: "max_tokens", streamUsage: true, jsonSchema: true, penalties: true };
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return "";
  }
}

type WireMessage =
  | { role: "system" | "user"; content: string }
  | {
      role: "assistant";
      content: string | null;
      tool_calls?: { id: string; type: "function"; function: { name: string; arguments: string } }[];
    }
  | { role: "tool"; tool_call_id: string; content: string };

function toWireMessages(messages: readonly ChatMessage[]): WireMessage[] {
  const out: WireMessage[] = [];
  for (const message of messages) {
    // Tool results (TensorZero puts them in user messages) become `tool` messages right after the call.
    for (const block of message.content) {
      if (block.type === "tool_result") out.push({ role: "tool", tool_call_id: block.id, content: block.result });
    }
    const text = textOf(message.content);
    if (message.role === "assistant") {
      const calls = message.content.flatMap((b) =>
        b.type === "tool_call"
          ? [{ id: b.id, type: "function" as const, function: { name: b.name, arguments: b.arguments } }]
          : [],
      );
      if (calls.length > 0) out.push({ role: "assistant", content: text === "" ? null : text, tool_calls: calls });
      else out.push({ role: "assistant", content: text });
    } else if (message.role !== "tool" && (text !== "" || !message.content.some((b) => b.type === "tool_result"))) {
      out.push({ role: message.role, content: text });
    }
  }
  return out;
}

const JSON_HINT = "Respond with a single JSON object and nothing else.";

function schemaHint(schema: Record<string, unknown>): string {
  return `${JSON_HINT} It must match this JSON Schema: ${JSON.stringify(schema)}`;
}

/** The request body (without `stream`), ready for `chat/completions`. */
export function toOpenAIBody(req: ChatRequest, quirks: OpenAIQuirks): Record<string, unknown> {
  const messages = toWireMessages(req.messages);
  const systemParts: string[] = req.system === undefined || req.system === "" ? [] : [req.system];
  let responseFormat: Record<string, unknown> | undefined;
  if (req.json?.mode === "json_schema" && quirks.jsonSchema) {
    responseFormat = {
      type: "json_schema",
      json_schema: {
        name: req.json.name.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64) || "output",
        schema: req.json.schema,
      },
    };
  } else if (req.json !== undefined) {
    responseFormat = { type: "json_object" };
    if (req.json.mode === "json_schema") systemParts.push(schemaHint(req.json.schema));
    // OpenAI rejects json_object unless the word "json" appears in the messages.
    else if (!mentionsJson(req)) systemParts.push(JSON_HINT);
  }
  if (systemParts.length > 0) messages.unshift({ role: "system", content: systemParts.join("\n\n") });
  const p = req.params;
  return {
    model: req.model,
    messages,
    temperature: p.temperature,
    top_p: p.top_p,
    [quirks.maxTokensField]: p.max_tokens,
    stop: p.stop,
    seed: p.seed,
    presence_penalty: quirks.penalties ? p.presence_penalty : undefined,
    frequency_penalty: quirks.penalties ? p.frequency_penalty : undefined,
    response_format: responseFormat,
    tools: req.tools?.map((t) => ({
      type: "function",
      function: { name: t.name, description: t.description, parameters: t.parameters },
    })),
    tool_choice: req.tools === undefined ? undefined : toolChoice(req.tool_choice),
  };
}

function mentionsJson(req: ChatRequest): boolean {
  if (req.system !== undefined && /json/i.test(req.system)) return true;
  return req.messages.some((m) => /json/i.test(textOf(m.content)));
}

function toolChoice(choice: ChatRequest["tool_choice"]): unknown {
  if (choice === undefined || typeof choice === "string") return choice;
  return { type: "function", function: { name: choice.name } };
}

export function finishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case "stop":
      return "stop";
    case "length":
      return "length";
    case "tool_calls":
    case "function_call":
      return "tool_call";
    case "content_filter":
      return "content_filter";
    default:
      return "unknown";
  }
}

const usageSchema = z.object({ prompt_tokens: z.number().nullish(), completion_tokens: z.number().nullish() });
const errorSchema = z.object({
  message: z.string().nullish(),
  code: z.union([z.string(), z.number()]).nullish(),
  type: z.string().nullish(),
});

export const completionSchema = z.object({
  model: z.string().nullish(),
  error: errorSchema.nullish(),
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullish(),
          tool_calls: z
            .array(
              z.object({
                id: z.string().nullish(),
                function: z.object({ name: z.string(), arguments: z.string().nullish() }),
              }),
            )
            .nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: usageSchema.nullish(),
});

export const chunkSchema = z.object({
  error: errorSchema.nullish(),
  choices: z
    .array(
      z.object({
        delta: z
          .object({
            content: z.string().nullish(),
            tool_calls: z
              .array(
                z.object({
                  index: z.number().nullish(),
                  id: z.string().nullish(),
                  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
                }),
              )
              .nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: usageSchema.nullish(),
});

export const embeddingsSchema = z.object({
  data: z.array(z.object({ index: z.number().nullish(), embedding: z.array(z.number()) })),
  usage: z.object({ prompt_tokens: z.number().nullish() }).nullish(),
});

export function usageOf(usage: z.infer<typeof usageSchema> | null | undefined): {
  input_tokens: number;
  output_tokens: number;
} {
  return { input_tokens: usage?.prompt_tokens ?? 0, output_tokens: usage?.completion_tokens ?? 0 };
}
