/**
 * Workers AI through the `env.AI` binding. Inputs are OpenAI-like (messages, tools, response_format), so
 * they are built with the OpenAI mapping; outputs come in two shapes — the classic `{response, tool_calls,
 * usage}` and, on newer models, OpenAI `choices` — and both are read. The binding throws plain Errors whose
 * message carries Workers AI's numeric code; those are classified here.
 */
import { z } from "zod";
import type {
  ChatRequest,
  ChatResult,
  ContentBlock,
  EmbedRequest,
  EmbedResult,
  FailureKind,
  Provider,
  StreamChunk,
} from "../types";
import { ProviderError } from "../types";
import { abortError } from "./http-errors";
import { completionSchema, finishReason, toOpenAIBody, usageOf } from "./openai-wire";
import { parseFrame, sseEvents } from "./sse";
import { parseWith } from "./upstream";

/** The slice of the `Ai` binding used here; workers-types' model-keyed overloads do not fit a configured name. */
export interface AiRunner {
  run(model: string, inputs: Record<string, unknown>, options?: { signal?: AbortSignal }): Promise<unknown>;
}

const QUIRKS = { maxTokensField: "max_tokens", streamUsage: false, jsonSchema: true, penalties: true } as const;

const classicSchema = z.object({
  // In JSON mode `response` is already the parsed object.
  response: z.unknown().optional(),
  tool_calls: z
    .array(z.object({ id: z.string().nullish(), name: z.string(), arguments: z.unknown().optional() }))
    .nullish(),
  usage: z.object({ prompt_tokens: z.number().nullish(), completion_tokens: z.number().nullish() }).nullish(),
});
const frameSchema = z.object({
  response: z.string().nullish(),
  usage: classicSchema.shape.usage,
  choices: z
    .array(
      z.object({ delta: z.object({ content: z.string().nullish() }).nullish(), finish_reason: z.string().nullish() }),
    )
    .nullish(),
});
const embedSchema = z.object({ data: z.array(z.array(z.number())) });

/** Workers AI codes (3036 daily allocation used, 3040 out of capacity, 3007/3008 timeout, 5007 no such model). */
export function classifyAiError(provider: string, err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const message = err instanceof Error ? err.message : String(err);
  let kind: FailureKind = "server";
  if (/\b3036\b|daily free allocation|account limited/i.test(message)) kind = "quota";
  else if (/\b3040\b|capacity/i.test(message)) kind = "overloaded";
  else if (/\b10000\b|authentication|unauthori[sz]ed/i.test(message)) kind = "auth";
  return new ProviderError(kind, `${provider}: ${message}`);
}

function aiInputs(req: ChatRequest): Record<string, unknown> {
  const body = toOpenAIBody(req, QUIRKS);
  return {
    messages: body.messages,
    max_tokens: body.max_tokens,
    temperature: body.temperature,
    top_p: body.top_p,
    seed: body.seed,
    presence_penalty: body.presence_penalty,
    frequency_penalty: body.frequency_penalty,
    tools: body.tools,
    response_format: body.response_format,
  };
}

export function createAiBindingProvider(name: string, ai: AiRunner): Provider {
  async function run(model: string, inputs: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    if (signal.aborted) throw abortError(name, signal);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortError(name, signal));
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([ai.run(model, inputs, { signal }), aborted]);
    } catch (err) {
      throw signal.aborted ? abortError(name, signal) : classifyAiError(name, err);
    } finally {
      if (onAbort) signal.removeEventListener("abort", onAbort);
    }
  }

  async function chat(req: ChatRequest): Promise<ChatResult> {
    const output = await run(req.model, aiInputs(req), req.signal);
    if (typeof output === "object" && output !== null && "choices" in output) {
      const body = parseWith(name, completionSchema, output);
      const choice = body.choices?.[0];
      const content: ContentBlock[] = choice?.message.content ? [{ type: "text", text: choice.message.content }] : [];
      for (const [i, call] of (choice?.message.tool_calls ?? []).entries())
        content.push({
          type: "tool_call",
          id: call.id ?? `call_${i}`,
          name: call.function.name,
          arguments: call.function.arguments ?? "",
        });
      return { content, usage: usageOf(body.usage), finish_reason: finishReason(choice?.finish_reason) };
    }
    const body = parseWith(name, classicSchema, output);
    const content: ContentBlock[] = [];
    const text =
      typeof body.response === "string"
        ? body.response
        : body.response === undefined || body.response === null
          ? ""
          : JSON.stringify(body.response);
    if (text !== "") content.push({ type: "text", text });
    for (const [i, call] of (body.tool_calls ?? []).entries()) {
      content.push({
        type: "tool_call",
        id: call.id ?? `call_${i}`,
        name: call.name,
        arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments ?? {}),
      });
    }
    const usage = usageOf(body.usage);
    // The classic shape reports no finish reason; output that filled max_tokens was cut off.
    const cut = req.params.max_tokens !== undefined && usage.output_tokens >= req.params.max_tokens;
    return {
      content,
      usage,
      finish_reason: (body.tool_calls ?? []).length > 0 ? "tool_call" : cut ? "length" : "stop",
    };
  }

  async function* chatStream(req: ChatRequest): AsyncGenerator<StreamChunk> {
    // Workers AI's JSON mode cannot stream: answer once and replay it as a single delta.
    if (req.json !== undefined) {
      const result = await chat(req);
      for (const block of result.content) {
        if (block.type === "text") yield { type: "text_delta", text: block.text };
        if (block.type === "tool_call")
          yield { type: "tool_call_delta", index: 0, id: block.id, name: block.name, arguments_delta: block.arguments };
      }
      yield { type: "usage", usage: result.usage };
      yield { type: "finish", finish_reason: result.finish_reason };
      return;
    }
    const output = await run(req.model, { ...aiInputs(req), stream: true }, req.signal);
    if (!(output instanceof ReadableStream))
      throw new ProviderError("stream", `${name}: binding did not return a stream`);
    let finish: ReturnType<typeof finishReason> = "stop";
    let done = false;
    for await (const event of sseEvents(name, output as ReadableStream<Uint8Array>, req.signal)) {
      if (event.data === "[DONE]") {
        done = true;
        break;
      }
      const frame = parseWith(name, frameSchema, parseFrame(name, event.data));
      if (frame.response) yield { type: "text_delta", text: frame.response };
      for (const choice of frame.choices ?? []) {
        if (choice.delta?.content) yield { type: "text_delta", text: choice.delta.content };
        if (choice.finish_reason) finish = finishReason(choice.finish_reason);
      }
      if (frame.usage) yield { type: "usage", usage: usageOf(frame.usage) };
    }
    if (!done) throw new ProviderError("stream", `${name}: stream ended before [DONE]`);
    yield { type: "finish", finish_reason: finish };
  }

  async function embed(req: EmbedRequest): Promise<EmbedResult> {
    const body = parseWith(name, embedSchema, await run(req.model, { text: req.input }, req.signal));
    if (body.data.length !== req.input.length)
      throw new ProviderError("stream", `${name}: ${body.data.length} embeddings for ${req.input.length} inputs`);
    return { embeddings: body.data, usage: { input_tokens: 0 } };
  }

  return { name, type: "cloudflare", chat, chatStream, embed };
}
