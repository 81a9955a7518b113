/**
 * Fake OpenAI-compatible upstream: `…/chat/completions` (JSON and SSE with `[DONE]` and the include_usage
 * chunk) and `…/embeddings`, with OpenAI's error bodies — or Cloudflare's `{success:false, errors:[…]}`
 * envelope when serving Workers AI's `/ai/v1`. Like the real API it insists on a Bearer token and on the
 * word "json" somewhere in the messages for `json_object` mode.
 */
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import {
  answer,
  dataFrame,
  embedding,
  type ErrorSpec,
  type Knob,
  knobOf,
  type Normalized,
  retryAfterDate,
  sendJson,
  sendSse,
  sleep,
  words,
} from "./behaviour.ts";

export type OpenAIFlavour = "openai" | "cloudflare";
type Body = Record<string, unknown>;

function openAIError(
  status: number,
  message: string,
  type: string,
  code: string | number | null,
  headers?: Record<string, string>,
): ErrorSpec {
  return { status, body: { error: { message, type, param: null, code } }, headers };
}

function cfError(status: number, code: number, message: string, headers?: Record<string, string>): ErrorSpec {
  return { status, body: { success: false, errors: [{ code, message }], messages: [], result: null }, headers };
}

/** The error a knob asks for, in this flavour's shape; undefined for knobs that answer 200. */
export function knobError(flavour: OpenAIFlavour, knob: Knob): ErrorSpec | undefined {
  const cf = flavour === "cloudflare";
  switch (knob.name) {
    case "fake-429":
      return cf
        ? cfError(429, 3040, "Out of capacity", { "retry-after": "2" })
        : openAIError(429, "Rate limit reached for requests", "requests", "rate_limit_exceeded", {
            "retry-after": "2",
          });
    case "fake-429-date":
      return openAIError(429, "Rate limit reached for requests", "requests", "rate_limit_exceeded", {
        "retry-after": retryAfterDate(3),
      });
    case "fake-quota":
      return cf
        ? cfError(429, 3036, "Account limited: you have used up your daily free allocation of 10,000 neurons")
        : openAIError(
            429,
            "You exceeded your current quota, please check your plan and billing details.",
            "insufficient_quota",
            "insufficient_quota",
          );
    case "fake-402":
      return {
        status: 402,
        body: {
          error: { code: 402, message: "Insufficient credits. Add more using https://openrouter.ai/settings/credits" },
        },
      };
    case "fake-529":
      return { status: 529, body: { error: { message: "Overloaded", type: "overloaded_error", code: 529 } } };
    case "fake-503":
      return openAIError(503, "The engine is currently overloaded, please try again later", "server_error", null, {
        "retry-after": "1",
      });
    case "fake-500":
      return cf
        ? cfError(500, 5000, "Internal server error")
        : openAIError(500, "The server had an error while processing your request.", "server_error", null);
    case "fake-408":
      return cf ? cfError(408, 3007, "Request timeout") : openAIError(408, "Request timed out.", "timeout", null);
    case "fake-401":
    case "fake-badkey":
      return cf
        ? cfError(401, 10000, "Authentication error")
        : openAIError(401, "Incorrect API key provided: sk-fake.", "invalid_request_error", "invalid_api_key");
    case "fake-403":
      return openAIError(403, "Project does not have access to model", "invalid_request_error", "model_not_found");
    case "fake-404":
      return openAIError(
        404,
        "The model does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
      );
    case "fake-400":
      return cf
        ? cfError(400, 5006, "Error: required properties at '/' are 'messages'")
        : openAIError(400, "Invalid value for 'temperature'.", "invalid_request_error", "invalid_value");
    case "fake-context":
      return openAIError(
        400,
        "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
        "invalid_request_error",
        "context_length_exceeded",
      );
    default:
      return undefined;
  }
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content
      .map((p) =>
        typeof p === "object" && p !== null && typeof (p as Body).text === "string" ? ((p as Body).text as string) : "",
      )
      .join("");
  return "";
}

function normalize(body: Body): Normalized {
  const messages = Array.isArray(body.messages) ? (body.messages as Body[]) : [];
  const last = [...messages].reverse().find((m) => m.role === "user" || m.role === "tool");
  const format = body.response_format as Body | undefined;
  const choice = body.tool_choice;
  const tools = Array.isArray(body.tools)
    ? (body.tools as { function: { name: string; parameters: unknown } }[]).map((t) => t.function)
    : [];
  return {
    model: String(body.model),
    promptText: messages.map((m) => textOf(m.content)).join(" "),
    lastInput: last === undefined ? "" : textOf(last.content),
    tools,
    forcedTool:
      choice === "required"
        ? "*"
        : typeof choice === "object" && choice !== null
          ? ((choice as { function?: { name?: string } }).function?.name ?? "*")
          : undefined,
    json:
      format?.type === "json_object"
        ? { schema: undefined }
        : format?.type === "json_schema"
          ? { schema: (format.json_schema as Body | undefined)?.schema }
          : undefined,
    maxTokens:
      typeof body.max_tokens === "number"
        ? body.max_tokens
        : typeof body.max_completion_tokens === "number"
          ? body.max_completion_tokens
          : undefined,
  };
}

function invalid(
  flavour: OpenAIFlavour,
  headers: IncomingHttpHeaders,
  body: Body,
  endpoint: "chat" | "embeddings",
): ErrorSpec | undefined {
  if (!/^Bearer \S+/.test(headers.authorization ?? ""))
    return flavour === "cloudflare"
      ? cfError(401, 10000, "Authentication error")
      : openAIError(401, "You didn't provide an API key.", "invalid_request_error", null);
  if (typeof body.model !== "string")
    return openAIError(400, "you must provide a model parameter", "invalid_request_error", null);
  if (endpoint === "embeddings")
    return body.input === undefined
      ? openAIError(400, "'input' is a required property", "invalid_request_error", null)
      : undefined;
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    return openAIError(400, "'messages' must be a non-empty array", "invalid_request_error", null);
  const json = (body.response_format as Body | undefined)?.type === "json_object";
  if (flavour === "openai" && json && !(body.messages as Body[]).some((m) => /json/i.test(textOf(m.content)))) {
    return openAIError(
      400,
      "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
      "invalid_request_error",
      null,
    );
  }
  return undefined;
}

export async function handleOpenAI(
  flavour: OpenAIFlavour,
  endpoint: "chat" | "embeddings",
  headers: IncomingHttpHeaders,
  body: Body,
  res: ServerResponse,
): Promise<void> {
  const bad = invalid(flavour, headers, body, endpoint);
  if (bad) return sendJson(res, bad.status, bad.body, bad.headers);
  const knob = knobOf(String(body.model));
  const error = knobError(flavour, knob);
  if (error) return sendJson(res, error.status, error.body, error.headers);
  if (knob.name === "fake-malformed") {
    res.writeHead(200, { "content-type": "application/json" }).end("{not json");
    return;
  }
  if (endpoint === "embeddings") {
    if (knob.slowMs) await sleep(knob.slowMs, res);
    const inputs = Array.isArray(body.input) ? (body.input as unknown[]).map(String) : [String(body.input)];
    const tokens = inputs.reduce((n, t) => n + words(t).length, 0);
    return sendJson(res, 200, {
      object: "list",
      data: inputs.map((t, index) => ({ object: "embedding", index, embedding: embedding(t) })),
      model: body.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }
  const a = answer(normalize(body), knob);
  const usage = {
    prompt_tokens: a.inputTokens,
    completion_tokens: a.outputTokens,
    total_tokens: a.inputTokens + a.outputTokens,
  };
  const finish = a.kind === "tool" ? "tool_calls" : a.finish;
  const base = { id: "chatcmpl-fake", created: 1_700_000_000, model: body.model };
  if (body.stream !== true) {
    if (knob.slowMs) await sleep(knob.slowMs, res);
    const message =
      a.kind === "tool"
        ? {
            role: "assistant",
            content: null,
            tool_calls: [{ id: a.id, type: "function", function: { name: a.name, arguments: JSON.stringify(a.args) } }],
          }
        : { role: "assistant", content: a.text, refusal: null };
    return sendJson(res, 200, {
      ...base,
      object: "chat.completion",
      choices: [{ index: 0, message, finish_reason: finish }],
      usage,
    });
  }
  const chunk = (delta: Body, finishReason: string | null = null) =>
    dataFrame({
      ...base,
      object: "chat.completion.chunk",
      choices: [{ index: 0, delta, finish_reason: finishReason }],
    });
  const frames = [chunk({ role: "assistant", content: "" })];
  if (a.kind === "tool") {
    frames.push(
      chunk({ tool_calls: [{ index: 0, id: a.id, type: "function", function: { name: a.name, arguments: "" } }] }),
    );
    for (const piece of a.pieces) frames.push(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
  } else {
    for (const piece of a.pieces) frames.push(chunk({ content: piece }));
  }
  if (knob.name === "fake-midstream-error" || knob.name === "fake-truncated") {
    const partial = frames.slice(0, 3);
    if (knob.name === "fake-midstream-error")
      partial.push(
        dataFrame({
          ...base,
          object: "chat.completion.chunk",
          error: { code: 502, message: "Upstream provider failed mid-generation" },
          choices: [{ index: 0, delta: { content: "" }, finish_reason: "error" }],
        }),
      );
    return sendSse(res, partial);
  }
  frames.push(chunk({}, finish));
  if ((body.stream_options as Body | undefined)?.include_usage === true)
    frames.push(dataFrame({ ...base, object: "chat.completion.chunk", choices: [], usage }));
  frames.push(dataFrame("[DONE]"));
  if (knob.name === "fake-malformed-stream") frames.splice(1, 0, dataFrame("{not json"));
  return sendSse(res, frames, {
    firstDelayMs: knob.slowMs,
    between: knob.name === "fake-keepalive" ? ": OPENROUTER PROCESSING\n\n" : undefined,
    frameDelayMs: knob.frameDelayMs,
  });
}
