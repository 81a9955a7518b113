/**
 * Anthropic Messages wire format: `ChatRequest` → `/v1/messages` body and the response/event shapes.
 *
 * JSON mode uses the forced-tool trick: a `json_output` tool whose `input_schema` is the requested schema
 * and `tool_choice: {type: "tool"}`; its input comes back as the text. Unlike a prefilled `{` or the
 * structured-outputs beta it works on every Claude model and still enforces the schema. When the caller
 * also passes tools (forcing one would block them) or the schema's root is not an object (tool inputs must
 * be), the schema is asked for in the system prompt instead.
 */
import { z } from "zod";
import type { ChatMessage, ChatRequest, FinishReason } from "../types";
import { parseArguments } from "./upstream";

export const JSON_TOOL = "json_output";
/** Anthropic requires `max_tokens`; every Claude 3+ model can produce this many. */
export const DEFAULT_MAX_TOKENS = 4096;

type Block =
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> }
  | { type: "tool_result"; tool_use_id: string; content: string };

interface WireMessage {
  role: "user" | "assistant";
  content: Block[];
}

function toBlocks(provider: string, message: ChatMessage): Block[] {
  const blocks: Block[] = [];
  for (const block of message.content) {
    // Anthropic rejects empty text blocks.
    if (block.type === "text" && block.text !== "") blocks.push({ type: "text", text: block.text });
    else if (block.type === "tool_call")
      blocks.push({
        type: "tool_use",
        id: block.id,
        name: block.name,
        input: parseArguments(provider, block.arguments),
      });
    else if (block.type === "tool_result")
      blocks.push({ type: "tool_result", tool_use_id: block.id, content: block.result });
  }
  return blocks;
}

/** Roles must alternate user/assistant: system text is lifted out, tool results ride in user turns, runs merge. */
function toWireMessages(
  provider: string,
  messages: readonly ChatMessage[],
): { system: string[]; messages: WireMessage[] } {
  const system: string[] = [];
  const out: WireMessage[] = [];
  for (const message of messages) {
    if (message.role === "system") {
      for (const block of message.content) if (block.type === "text" && block.text !== "") system.push(block.text);
      continue;
    }
    const role = message.role === "assistant" ? "assistant" : "user";
    const blocks = toBlocks(provider, message);
    if (blocks.length === 0) continue;
    const last = out.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  }
  for (const message of out) {
    // tool_result blocks must open their user turn.
    if (message.role === "user")
      message.content.sort((a, b) => Number(b.type === "tool_result") - Number(a.type === "tool_result"));
  }
  // A trailing assistant turn is a prefill, which Anthropic rejects if it ends in whitespace.
  const tail = out.at(-1);
  const lastBlock = tail?.role === "assistant" ? tail.content.at(-1) : undefined;
  if (lastBlock?.type === "text") lastBlock.text = lastBlock.text.trimEnd();
  return { system, messages: out };
}

/** Whether this request's JSON mode is served by the forced `json_output` tool. */
export function usesJsonTool(req: ChatRequest): boolean {
  if (req.json === undefined || (req.tools !== undefined && req.tools.length > 0)) return false;
  return req.json.mode === "json_object" || req.json.schema.type === "object";
}

export function toAnthropicBody(provider: string, req: ChatRequest): Record<string, unknown> {
  const { system, messages } = toWireMessages(provider, req.messages);
  if (req.system !== undefined && req.system !== "") system.unshift(req.system);
  const jsonTool = usesJsonTool(req);
  if (req.json !== undefined && !jsonTool) {
    const schema =
      req.json.mode === "json_schema" ? ` It must match this JSON Schema: ${JSON.stringify(req.json.schema)}` : "";
    system.push(`Respond with a single JSON value and nothing else.${schema}`);
  }
  let tools = req.tools?.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters }));
  let toolChoice = toolChoiceOf(req.tool_choice);
  if (jsonTool && req.json !== undefined) {
    const schema = req.json.mode === "json_schema" ? req.json.schema : { type: "object", additionalProperties: true };
    tools = [{ name: JSON_TOOL, description: "Return the answer as this tool's input.", input_schema: schema }];
    toolChoice = { type: "tool", name: JSON_TOOL };
  }
  const p = req.params;
  return {
    model: req.model,
    max_tokens: p.max_tokens ?? DEFAULT_MAX_TOKENS,
    system: system.length > 0 ? system.join("\n\n") : undefined,
    messages,
    temperature: p.temperature,
    // Newer Claude models reject temperature and top_p together; temperature wins.
    top_p: p.temperature === undefined ? p.top_p : undefined,
    stop_sequences: p.stop,
    tools,
    tool_choice: tools === undefined ? undefined : toolChoice,
  };
}

function toolChoiceOf(choice: ChatRequest["tool_choice"]): Record<string, unknown> | undefined {
  if (choice === undefined) return undefined;
  if (choice === "auto" || choice === "none") return { type: choice };
  if (choice === "required") return { type: "any" };
  return { type: "tool", name: choice.name };
}

export function stopReason(reason: string | null | undefined, jsonTool: boolean): FinishReason {
  switch (reason) {
    case "end_turn":
    case "stop_sequence":
      return "stop";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return jsonTool ? "stop" : "tool_call";
    case "refusal":
      return "content_filter";
    default:
      return "unknown";
  }
}

const usageSchema = z.object({
  input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
  cache_creation_input_tokens: z.number().nullish(),
  cache_read_input_tokens: z.number().nullish(),
});

/** Anthropic counts cached prompt tokens apart from `input_tokens`; the gateway reports the whole prompt. */
export function inputTokens(usage: z.infer<typeof usageSchema> | null | undefined): number {
  return (usage?.input_tokens ?? 0) + (usage?.cache_creation_input_tokens ?? 0) + (usage?.cache_read_input_tokens ?? 0);
}

const blockSchema = z.object({
  type: z.string(),
  text: z.string().nullish(),
  id: z.string().nullish(),
  name: z.string().nullish(),
  input: z.unknown().optional(),
});

export const messageSchema = z.object({
  model: z.string().nullish(),
  content: z.array(blockSchema),
  stop_reason: z.string().nullish(),
  usage: usageSchema.nullish(),
});

/** One SSE event's data; fields by type (unknown types are tolerated and ignored). */
export const eventSchema = z.object({
  type: z.string(),
  message: z.object({ model: z.string().nullish(), usage: usageSchema.nullish() }).nullish(),
  index: z.number().nullish(),
  content_block: blockSchema.nullish(),
  delta: z
    .object({
      type: z.string().nullish(),
      text: z.string().nullish(),
      partial_json: z.string().nullish(),
      stop_reason: z.string().nullish(),
    })
    .nullish(),
  usage: usageSchema.nullish(),
  error: z.object({ type: z.string().nullish(), message: z.string().nullish() }).nullish(),
});
