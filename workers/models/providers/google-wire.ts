/**
 * Gemini (AI Studio, v1beta) wire format: `ChatRequest` → `generateContent` body, response shapes and
 * finishReason mapping. Schemas go out as `responseJsonSchema` / `parametersJsonSchema`, which take JSON
 * Schema as is; the older `responseSchema` / `parameters` fields take an OpenAPI subset that rejects
 * `additionalProperties` and `type: [..., "null"]` with a 400 — a trap other gateways' users keep hitting.
 */
import { z } from "zod";
import type { ChatMessage, ChatRequest, FinishReason } from "../types";
import { parseArguments } from "./upstream";

type Part =
  | { text: string }
  | { functionCall: { name: string; args: Record<string, unknown> } }
  | { functionResponse: { name: string; response: Record<string, unknown> } };

interface Content {
  role: "user" | "model";
  parts: Part[];
}

/** Gemini wants a JSON object as a function's response; anything else is wrapped. */
function responseObject(result: string): Record<string, unknown> {
  try {
    const value = JSON.parse(result) as unknown;
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    return { result: value };
  } catch {
    return { result };
  }
}

function toContents(provider: string, messages: readonly ChatMessage[]): { system: string[]; contents: Content[] } {
  const system: string[] = [];
  const contents: Content[] = [];
  // functionResponse needs the function's name; TensorZero's tool_result may carry only the call id.
  const callNames = new Map<string, string>();
  for (const message of messages) {
    if (message.role === "system") {
      for (const block of message.content) if (block.type === "text" && block.text !== "") system.push(block.text);
      continue;
    }
    const role = message.role === "assistant" ? "model" : "user";
    const parts: Part[] = [];
    for (const block of message.content) {
      if (block.type === "text" && block.text !== "") parts.push({ text: block.text });
      else if (block.type === "tool_call") {
        callNames.set(block.id, block.name);
        parts.push({ functionCall: { name: block.name, args: parseArguments(provider, block.arguments) } });
      } else if (block.type === "tool_result") {
        parts.push({
          functionResponse: {
            name: block.name ?? callNames.get(block.id) ?? block.id,
            response: responseObject(block.result),
          },
        });
      }
    }
    if (parts.length === 0) continue;
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  }
  return { system, contents };
}

export function toGeminiBody(provider: string, req: ChatRequest): Record<string, unknown> {
  const { system, contents } = toContents(provider, req.messages);
  if (req.system !== undefined && req.system !== "") system.unshift(req.system);
  const hasTools = req.tools !== undefined && req.tools.length > 0;
  const p = req.params;
  const generationConfig: Record<string, unknown> = {
    temperature: p.temperature,
    topP: p.top_p,
    maxOutputTokens: p.max_tokens,
    stopSequences: p.stop,
    seed: p.seed,
    presencePenalty: p.presence_penalty,
    frequencyPenalty: p.frequency_penalty,
  };
  if (req.json !== undefined && !hasTools) {
    generationConfig.responseMimeType = "application/json";
    if (req.json.mode === "json_schema") generationConfig.responseJsonSchema = req.json.schema;
  } else if (req.json !== undefined) {
    // JSON mime type and function calling do not mix on every Gemini model: ask in the prompt instead.
    const schema =
      req.json.mode === "json_schema" ? ` It must match this JSON Schema: ${JSON.stringify(req.json.schema)}` : "";
    system.push(`Respond with a single JSON value and nothing else.${schema}`);
  }
  return {
    contents,
    systemInstruction: system.length > 0 ? { parts: [{ text: system.join("\n\n") }] } : undefined,
    generationConfig,
    tools: hasTools
      ? [
          {
            functionDeclarations: req.tools?.map((t) => ({
              name: t.name,
              description: t.description,
              parametersJsonSchema: t.parameters,
            })),
          },
        ]
      : undefined,
    toolConfig: hasTools ? toolConfig(req.tool_choice) : undefined,
  };
}

function toolConfig(choice: ChatRequest["tool_choice"]): Record<string, unknown> | undefined {
  if (choice === undefined) return undefined;
  if (choice === "auto") return { functionCallingConfig: { mode: "AUTO" } };
  if (choice === "none") return { functionCallingConfig: { mode: "NONE" } };
  if (choice === "required") return { functionCallingConfig: { mode: "ANY" } };
  return { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [choice.name] } };
}

/** Gemini says STOP even when it called a function, so the caller passes whether it did. */
export function finishReasonOf(reason: string | null | undefined, calledTool: boolean): FinishReason {
  switch (reason) {
    case "STOP":
      return calledTool ? "tool_call" : "stop";
    case "MAX_TOKENS":
      return "length";
    case "SAFETY":
    case "RECITATION":
    case "BLOCKLIST":
    case "PROHIBITED_CONTENT":
    case "SPII":
    case "IMAGE_SAFETY":
      return "content_filter";
    default:
      return "unknown";
  }
}

export const usageSchema = z.object({
  promptTokenCount: z.number().nullish(),
  candidatesTokenCount: z.number().nullish(),
  thoughtsTokenCount: z.number().nullish(),
});

/** Thinking tokens are billed as output. */
export function usageOf(usage: z.infer<typeof usageSchema> | null | undefined): {
  input_tokens: number;
  output_tokens: number;
} {
  return {
    input_tokens: usage?.promptTokenCount ?? 0,
    output_tokens: (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0),
  };
}

const partSchema = z.object({
  text: z.string().nullish(),
  thought: z.boolean().nullish(),
  functionCall: z
    .object({ id: z.string().nullish(), name: z.string(), args: z.record(z.string(), z.unknown()).nullish() })
    .nullish(),
});

/** One `GenerateContentResponse`: the whole answer, or one SSE frame's delta of it. */
export const responseSchema = z.object({
  candidates: z
    .array(
      z.object({
        content: z.object({ parts: z.array(partSchema).nullish() }).nullish(),
        finishReason: z.string().nullish(),
      }),
    )
    .nullish(),
  promptFeedback: z.object({ blockReason: z.string().nullish() }).nullish(),
  usageMetadata: usageSchema.nullish(),
  modelVersion: z.string().nullish(),
  error: z
    .object({ code: z.number().nullish(), message: z.string().nullish(), status: z.string().nullish() })
    .nullish(),
});

export const batchEmbedSchema = z.object({ embeddings: z.array(z.object({ values: z.array(z.number()) })) });
