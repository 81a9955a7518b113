/**
 * Ollama's native wire format (`/api/chat`, `/api/embed`): the request bodies built from the gateway's
 * ChatRequest/EmbedRequest, and zod schemas for what comes back. Both transports (a direct URL, an edge
 * device through its EdgeHub) carry exactly these objects, so this is the only translation there is.
 */
import { z } from "zod";
import type { ChatMessage, ChatRequest, EmbedRequest } from "../types";

type OllamaMessage = {
  role: "system" | "user" | "assistant" | "tool";
  content: string;
  tool_calls?: { function: { name: string; arguments: Record<string, unknown> } }[];
  tool_name?: string;
};

export type OllamaChatBody = {
  model: string;
  messages: OllamaMessage[];
  stream: boolean;
  tools?: { type: "function"; function: { name: string; description?: string; parameters: Record<string, unknown> } }[];
  format?: "json" | Record<string, unknown>;
  options?: Record<string, number | string[]>;
};

export type OllamaEmbedBody = { model: string; input: string[] };

/** Ollama wants tool arguments as an object; the gateway carries them as a JSON string. */
function argumentsObject(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Not JSON: there is nothing an object-typed field can carry faithfully.
  }
  return {};
}

function toOllamaMessages(message: ChatMessage): OllamaMessage[] {
  const text = message.content.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("");
  // Each tool result is its own `tool` message in Ollama, named by the tool rather than by a call id.
  const results: OllamaMessage[] = message.content.flatMap((b) =>
    b.type === "tool_result"
      ? [{ role: "tool" as const, content: b.result, ...(b.name ? { tool_name: b.name } : {}) }]
      : [],
  );
  const calls = message.content.flatMap((b) =>
    b.type === "tool_call" ? [{ function: { name: b.name, arguments: argumentsObject(b.arguments) } }] : [],
  );
  if (results.length > 0 && text === "" && calls.length === 0) return results;
  const own: OllamaMessage = { role: message.role, content: text, ...(calls.length > 0 ? { tool_calls: calls } : {}) };
  return [own, ...results];
}

function options(req: ChatRequest): Record<string, number | string[]> | undefined {
  const p = req.params;
  const out: Record<string, number | string[]> = {};
  if (p.temperature !== undefined) out.temperature = p.temperature;
  if (p.top_p !== undefined) out.top_p = p.top_p;
  if (p.max_tokens !== undefined) out.num_predict = p.max_tokens;
  if (p.stop !== undefined && p.stop.length > 0) out.stop = p.stop;
  if (p.seed !== undefined) out.seed = p.seed;
  if (p.presence_penalty !== undefined) out.presence_penalty = p.presence_penalty;
  if (p.frequency_penalty !== undefined) out.frequency_penalty = p.frequency_penalty;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Ollama has no tool_choice: "none" sends no tools, a named choice offers only that tool, and "required"
 * offers them all (the model may still answer in text; the caller sees finish_reason "stop").
 */
function tools(req: ChatRequest): OllamaChatBody["tools"] {
  if (!req.tools || req.tools.length === 0 || req.tool_choice === "none") return undefined;
  const choice = req.tool_choice;
  const offered = typeof choice === "object" ? req.tools.filter((t) => t.name === choice.name) : req.tools;
  return offered.map((t) => ({
    type: "function",
    function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters },
  }));
}

export function chatBody(req: ChatRequest, stream: boolean): OllamaChatBody {
  const messages = [
    ...(req.system ? [{ role: "system" as const, content: req.system }] : []),
    ...req.messages.flatMap(toOllamaMessages),
  ];
  const body: OllamaChatBody = { model: req.model, messages, stream };
  const offered = tools(req);
  if (offered) body.tools = offered;
  if (req.json) body.format = req.json.mode === "json_schema" ? req.json.schema : "json";
  const opts = options(req);
  if (opts) body.options = opts;
  return body;
}

export function embedBody(req: EmbedRequest): OllamaEmbedBody {
  return { model: req.model, input: req.input };
}

// ---- responses ----

const toolCallSchema = z.looseObject({
  function: z.looseObject({
    name: z.string(),
    // Objects per the docs; a string is tolerated (some model templates emit one) and passed on as is.
    arguments: z.union([z.record(z.string(), z.unknown()), z.string()]).optional(),
  }),
});

/** One `/api/chat` NDJSON object (or the whole non-streaming answer). `error` marks a failure even under 200. */
export const chatChunkSchema = z.looseObject({
  model: z.string().optional(),
  message: z
    .looseObject({
      role: z.string().optional(),
      content: z.string().optional(),
      tool_calls: z.array(toolCallSchema).optional(),
    })
    .optional(),
  done: z.boolean().optional(),
  done_reason: z.string().optional(),
  prompt_eval_count: z.number().optional(),
  eval_count: z.number().optional(),
  error: z.unknown().optional(),
});

export type ChatChunk = z.infer<typeof chatChunkSchema>;

export const embedAnswerSchema = z.looseObject({
  embeddings: z.array(z.array(z.number())),
  prompt_eval_count: z.number().optional(),
  error: z.unknown().optional(),
});

/** The text of an `{"error": …}` object: Ollama sends a string; anything else is shown as JSON. */
export function errorText(error: unknown): string {
  return typeof error === "string" ? error : JSON.stringify(error);
}
