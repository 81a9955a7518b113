/**
 * Fake Anthropic Messages upstream (`POST …/v1/messages`): JSON answers and the SSE event sequence
 * (message_start, content_block_start/delta/stop, message_delta, message_stop, pings), Anthropic's error
 * bodies and 529 overload. Like the real API it rejects a missing `x-api-key`/`anthropic-version`, a missing
 * `max_tokens`, non-alternating or non-user/assistant roles, empty text blocks, and temperature with top_p.
 */
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import {
  answer,
  type ErrorSpec,
  eventFrame,
  type Knob,
  knobOf,
  type Normalized,
  retryAfterDate,
  sendJson,
  sendSse,
  sleep,
} from "./behaviour.ts";

type Body = Record<string, unknown>;

function anthropicError(status: number, type: string, message: string, headers?: Record<string, string>): ErrorSpec {
  return { status, body: { type: "error", error: { type, message } }, headers };
}

function knobError(knob: Knob): ErrorSpec | undefined {
  switch (knob.name) {
    case "fake-429":
      return anthropicError(
        429,
        "rate_limit_error",
        "Number of request tokens has exceeded your per-minute rate limit",
        { "retry-after": "2" },
      );
    case "fake-429-date":
      return anthropicError(429, "rate_limit_error", "rate limited", { "retry-after": retryAfterDate(3) });
    case "fake-529":
      return anthropicError(529, "overloaded_error", "Overloaded");
    case "fake-503":
      return anthropicError(503, "api_error", "Service unavailable");
    case "fake-500":
      return anthropicError(500, "api_error", "Internal server error");
    case "fake-408":
      return anthropicError(408, "timeout_error", "Request timed out");
    case "fake-401":
    case "fake-badkey":
      return anthropicError(401, "authentication_error", "invalid x-api-key");
    case "fake-403":
      return anthropicError(
        403,
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
      );
    case "fake-404":
      return anthropicError(404, "not_found_error", "model: claude-nope");
    case "fake-402":
      return anthropicError(402, "billing_error", "Payment required");
    case "fake-quota":
      return anthropicError(
        400,
        "invalid_request_error",
        "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
      );
    case "fake-400":
      return anthropicError(400, "invalid_request_error", "temperature: range: 0..1");
    case "fake-context":
      return anthropicError(400, "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum");
    default:
      return undefined;
  }
}

type Block = { type: string; text?: string; content?: unknown };

function blocksOf(content: unknown): Block[] {
  return typeof content === "string"
    ? [{ type: "text", text: content }]
    : Array.isArray(content)
      ? (content as Block[])
      : [];
}

function textOf(blocks: Block[]): string {
  return blocks
    .map((b) => (b.type === "text" ? (b.text ?? "") : b.type === "tool_result" ? textOf(blocksOf(b.content)) : ""))
    .join(" ");
}

function invalid(headers: IncomingHttpHeaders, body: Body): ErrorSpec | undefined {
  if (!headers["x-api-key"]) return anthropicError(401, "authentication_error", "x-api-key header is required");
  if (!headers["anthropic-version"])
    return anthropicError(400, "invalid_request_error", "anthropic-version: header is required");
  if (typeof body.max_tokens !== "number")
    return anthropicError(400, "invalid_request_error", "max_tokens: Field required");
  if (body.temperature !== undefined && body.top_p !== undefined)
    return anthropicError(
      400,
      "invalid_request_error",
      "`temperature` and `top_p` cannot both be specified for this model.",
    );
  const messages = Array.isArray(body.messages) ? (body.messages as Body[]) : [];
  if (messages.length === 0)
    return anthropicError(400, "invalid_request_error", "messages: at least one message is required");
  for (const [i, m] of messages.entries()) {
    if (m.role !== "user" && m.role !== "assistant")
      return anthropicError(400, "invalid_request_error", `messages.${i}.role: Input should be 'user' or 'assistant'`);
    if (i > 0 && messages[i - 1]?.role === m.role)
      return anthropicError(
        400,
        "invalid_request_error",
        'messages: roles must alternate between "user" and "assistant"',
      );
    if (blocksOf(m.content).some((b) => b.type === "text" && b.text === ""))
      return anthropicError(400, "invalid_request_error", `messages.${i}: text content blocks must be non-empty`);
  }
  return undefined;
}

function normalize(body: Body): Normalized {
  const messages = body.messages as Body[];
  const last = [...messages].reverse().find((m) => m.role === "user");
  const choice = body.tool_choice as { type?: string; name?: string } | undefined;
  const tools = Array.isArray(body.tools)
    ? (body.tools as { name: string; input_schema: unknown }[]).map((t) => ({
        name: t.name,
        parameters: t.input_schema,
      }))
    : [];
  const system = typeof body.system === "string" ? body.system : "";
  return {
    model: String(body.model),
    promptText: [system, ...messages.map((m) => textOf(blocksOf(m.content)))].join(" "),
    lastInput: last === undefined ? "" : textOf(blocksOf(last.content)).trim(),
    tools,
    forcedTool: choice?.type === "tool" ? choice.name : choice?.type === "any" ? "*" : undefined,
    json: undefined,
    maxTokens: body.max_tokens as number,
  };
}

export async function handleAnthropic(headers: IncomingHttpHeaders, body: Body, res: ServerResponse): Promise<void> {
  const bad = invalid(headers, body);
  if (bad) return sendJson(res, bad.status, bad.body, bad.headers);
  const knob = knobOf(String(body.model));
  const error = knobError(knob);
  if (error) return sendJson(res, error.status, error.body, error.headers);
  const a = answer(normalize(body), knob);
  const stop = a.kind === "tool" ? "tool_use" : a.finish === "length" ? "max_tokens" : "end_turn";
  const usage = { input_tokens: a.inputTokens, output_tokens: a.outputTokens };
  if (body.stream !== true) {
    if (knob.slowMs) await sleep(knob.slowMs, res);
    const content =
      a.kind === "tool"
        ? [{ type: "tool_use", id: "toolu_fake_1", name: a.name, input: a.args }]
        : [{ type: "text", text: a.text }];
    return sendJson(res, 200, {
      id: "msg_fake",
      type: "message",
      role: "assistant",
      model: body.model,
      content,
      stop_reason: stop,
      stop_sequence: null,
      usage,
    });
  }
  const frames = [
    eventFrame("message_start", {
      type: "message_start",
      message: {
        id: "msg_fake",
        type: "message",
        role: "assistant",
        model: body.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: a.inputTokens, output_tokens: 1 },
      },
    }),
    eventFrame("content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block:
        a.kind === "tool"
          ? { type: "tool_use", id: "toolu_fake_1", name: a.name, input: {} }
          : { type: "text", text: "" },
    }),
    ...a.pieces.map((piece) =>
      eventFrame("content_block_delta", {
        type: "content_block_delta",
        index: 0,
        delta:
          a.kind === "tool" ? { type: "input_json_delta", partial_json: piece } : { type: "text_delta", text: piece },
      }),
    ),
  ];
  if (knob.name === "fake-midstream-error" || knob.name === "fake-truncated") {
    const partial = frames.slice(0, 4);
    if (knob.name === "fake-midstream-error")
      partial.push(eventFrame("error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }));
    return sendSse(res, partial);
  }
  frames.push(
    eventFrame("content_block_stop", { type: "content_block_stop", index: 0 }),
    eventFrame("message_delta", {
      type: "message_delta",
      delta: { stop_reason: stop, stop_sequence: null },
      usage: { output_tokens: a.outputTokens },
    }),
    eventFrame("message_stop", { type: "message_stop" }),
  );
  return sendSse(res, frames, {
    firstDelayMs: knob.slowMs,
    between: knob.name === "fake-keepalive" ? eventFrame("ping", { type: "ping" }) : undefined,
  });
}
