/**
 * Turns Ollama's answer objects — whichever transport delivered them — into the gateway's StreamChunks, and
 * collects chunks into a ChatResult or an EmbedResult. Ollama sends tool calls whole, with object arguments
 * and no ids: each becomes one complete tool_call_delta with stringified arguments and a generated id.
 */
import {
  type ChatResult,
  type ContentBlock,
  type EmbedResult,
  type FinishReason,
  ProviderError,
  type StreamChunk,
  type Usage,
} from "../types";
import { streamError } from "./http-errors";
import { chatChunkSchema, embedAnswerSchema, errorText } from "./ollama-wire";

function failureIn(provider: string, raw: unknown): ProviderError | null {
  if (raw === null || typeof raw !== "object" || !("error" in raw)) return null;
  const error = raw.error;
  return error === undefined || error === null ? null : streamError(provider, undefined, errorText(error));
}

function malformed(provider: string, what: string): ProviderError {
  return new ProviderError("stream", `${provider}: malformed ${what}`);
}

function callId(): string {
  return `call_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
}

function finishReason(doneReason: string | undefined, sawToolCall: boolean): FinishReason {
  if (sawToolCall) return "tool_call";
  if (doneReason === undefined || doneReason === "stop") return "stop";
  return doneReason === "length" ? "length" : "unknown";
}

/** Ollama's `/api/chat` objects → StreamChunks; throws ProviderError("stream") on an `{"error"}` object or a stream cut short. */
export async function* chatChunks(
  objects: AsyncIterable<unknown>,
  provider: string,
): AsyncGenerator<StreamChunk, void, undefined> {
  let toolIndex = 0;
  let finished = false;
  for await (const raw of objects) {
    // Read to the end rather than cancel: the upstream closes right after its final object anyway.
    if (finished) continue;
    const failure = failureIn(provider, raw);
    if (failure) throw failure;
    const parsed = chatChunkSchema.safeParse(raw);
    if (!parsed.success) throw malformed(provider, `chat chunk: ${parsed.error.issues[0]?.message ?? ""}`);
    const { message, done } = parsed.data;
    if (message?.content) yield { type: "text_delta", text: message.content };
    for (const call of message?.tool_calls ?? []) {
      const args = call.function.arguments;
      const text = typeof args === "string" ? args : JSON.stringify(args ?? {});
      yield {
        type: "tool_call_delta",
        index: toolIndex,
        id: callId(),
        name: call.function.name,
        arguments_delta: text,
      };
      toolIndex += 1;
    }
    if (done === true) {
      yield {
        type: "usage",
        usage: { input_tokens: parsed.data.prompt_eval_count ?? 0, output_tokens: parsed.data.eval_count ?? 0 },
      };
      yield { type: "finish", finish_reason: finishReason(parsed.data.done_reason, toolIndex > 0) };
      finished = true;
    }
  }
  if (!finished) throw new ProviderError("stream", `${provider}: the answer ended before its final (done) object`);
}

/** Folds a chunk stream into one result: text first, then tool calls in index order. */
export async function collectChat(chunks: AsyncIterable<StreamChunk>): Promise<ChatResult> {
  let text = "";
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
  let usage: Usage = { input_tokens: 0, output_tokens: 0 };
  let finish: FinishReason = "unknown";
  for await (const chunk of chunks) {
    if (chunk.type === "text_delta") text += chunk.text;
    else if (chunk.type === "tool_call_delta") {
      const call = calls.get(chunk.index) ?? { id: chunk.id ?? callId(), name: chunk.name ?? "", arguments: "" };
      call.arguments += chunk.arguments_delta;
      calls.set(chunk.index, call);
    } else if (chunk.type === "usage") usage = chunk.usage;
    else finish = chunk.finish_reason;
  }
  const content: ContentBlock[] = text === "" ? [] : [{ type: "text", text }];
  for (const [, call] of [...calls].sort(([a], [b]) => a - b)) content.push({ type: "tool_call", ...call });
  return { content, usage, finish_reason: finish };
}

/** `/api/embed` answers → one result; an edge device may split one answer's embeddings across objects. */
export async function collectEmbed(
  objects: AsyncIterable<unknown>,
  provider: string,
  expected: number,
): Promise<EmbedResult> {
  const embeddings: number[][] = [];
  let inputTokens = 0;
  for await (const raw of objects) {
    const failure = failureIn(provider, raw);
    if (failure) throw failure;
    const parsed = embedAnswerSchema.safeParse(raw);
    if (!parsed.success) throw malformed(provider, `embed answer: ${parsed.error.issues[0]?.message ?? ""}`);
    embeddings.push(...parsed.data.embeddings);
    inputTokens += parsed.data.prompt_eval_count ?? 0;
  }
  if (embeddings.length !== expected)
    throw malformed(provider, `embed answer: ${embeddings.length} embeddings for ${expected} inputs`);
  return { embeddings, usage: { input_tokens: inputTokens } };
}
