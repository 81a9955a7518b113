/**
 * Conversions between the public shapes (TensorZero `/inference`, OpenAI chat) and the internal
 * `ChatMessage`/`ContentBlock` vocabulary.
 */
import type { ChatMessage, ChatResult, ContentBlock, FinishReason } from "../types";
import type { InferenceRequest } from "./inference-schemas";

type TzContent = InferenceRequest["input"]["messages"][number]["content"];

function tzBlocks(content: TzContent): ContentBlock[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return content.map((b): ContentBlock => {
    if (b.type === "text") return { type: "text", text: b.text };
    if (b.type === "raw_text") return { type: "text", text: b.value };
    if (b.type === "tool_call")
      return {
        type: "tool_call",
        id: b.id,
        name: b.name,
        arguments: typeof b.arguments === "string" ? b.arguments : JSON.stringify(b.arguments),
      };
    return { type: "tool_result", id: b.id, name: b.name, result: b.result };
  });
}

export function fromTensorZeroInput(input: InferenceRequest["input"]): { system?: string; messages: ChatMessage[] } {
  const system =
    input.system === undefined
      ? undefined
      : typeof input.system === "string"
        ? input.system
        : JSON.stringify(input.system);
  const messages = input.messages.map((m) => ({ role: m.role, content: tzBlocks(m.content) }));
  return system === undefined ? { messages } : { system, messages };
}

/** TensorZero's content blocks for a chat function's answer. */
export function toTensorZeroContent(result: Pick<ChatResult, "content">): Record<string, unknown>[] {
  return result.content.map((b) => {
    if (b.type === "text") return { type: "text", text: b.text };
    if (b.type === "tool_call") {
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(b.arguments);
      } catch {
        // Models sometimes emit arguments that are not JSON; `raw_arguments` keeps them, `arguments` is null.
      }
      return {
        type: "tool_call",
        id: b.id,
        name: b.name,
        raw_name: b.name,
        raw_arguments: b.arguments,
        arguments: parsed,
      };
    }
    return { type: "tool_result", id: b.id, name: b.name, result: b.result };
  });
}

export function textOf(result: Pick<ChatResult, "content">): string {
  return result.content.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("");
}

const OPENAI_FINISH: Record<FinishReason, string> = {
  stop: "stop",
  length: "length",
  tool_call: "tool_calls",
  content_filter: "content_filter",
  unknown: "stop",
};

export function openAiFinish(reason: FinishReason | undefined): string {
  return OPENAI_FINISH[reason ?? "stop"];
}

export interface OpenAiMessage {
  role: string;
  content?: string | { type: string; text?: string }[] | null | undefined;
  tool_calls?: { id: string; type?: string; function: { name: string; arguments: string } }[] | undefined;
  tool_call_id?: string | undefined;
  name?: string | undefined;
}

export function fromOpenAiMessages(messages: readonly OpenAiMessage[]): { system?: string; messages: ChatMessage[] } {
  const system: string[] = [];
  const out: ChatMessage[] = [];
  for (const m of messages) {
    const text = typeof m.content === "string" ? m.content : (m.content ?? []).map((p) => p.text ?? "").join("");
    if (m.role === "system" || m.role === "developer") system.push(text);
    else if (m.role === "tool")
      out.push({
        role: "tool",
        content: [{ type: "tool_result", id: m.tool_call_id ?? "", name: m.name, result: text }],
      });
    else {
      const blocks: ContentBlock[] = text ? [{ type: "text", text }] : [];
      for (const call of m.tool_calls ?? [])
        blocks.push({ type: "tool_call", id: call.id, name: call.function.name, arguments: call.function.arguments });
      out.push({ role: m.role === "assistant" ? "assistant" : "user", content: blocks });
    }
  }
  return system.length ? { system: system.join("\n\n"), messages: out } : { messages: out };
}

export function toOpenAiMessage(result: Pick<ChatResult, "content">) {
  const calls = result.content.flatMap((b) =>
    b.type === "tool_call" ? [{ id: b.id, type: "function", function: { name: b.name, arguments: b.arguments } }] : [],
  );
  const text = textOf(result);
  return {
    role: "assistant",
    content: calls.length && !text ? null : text,
    refusal: null,
    ...(calls.length ? { tool_calls: calls } : {}),
  };
}
