/**
 * Fake Gemini (AI Studio v1beta) upstream: `models/{model}:generateContent`,
 * `:streamGenerateContent?alt=sse` (full-response frames, no `[DONE]`, finishReason + usageMetadata on the
 * last) and `:batchEmbedContents`, with Google's `{error:{code,message,status}}` bodies — a wrong key is a
 * 400 API_KEY_INVALID and a 429 carries its wait as `RetryInfo.retryDelay` in the body, no header. Like the
 * real API it wants `x-goog-api-key`, roles `user`/`model` only, and `requests[].model` = the path's model.
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
  sendJson,
  sendSse,
  sleep,
} from "./behaviour.ts";

type Body = Record<string, unknown>;

function googleError(code: number, status: string, message: string, details?: unknown[]): ErrorSpec {
  return { status: code, body: { error: { code, message, status, ...(details ? { details } : {}) } } };
}

function knobError(knob: Knob): ErrorSpec | undefined {
  switch (knob.name) {
    case "fake-429":
      return googleError(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).", [
        { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "2s" },
      ]);
    case "fake-529":
    case "fake-503":
      return googleError(503, "UNAVAILABLE", "The model is overloaded. Please try again later.");
    case "fake-500":
      return googleError(500, "INTERNAL", "An internal error has occurred.");
    case "fake-408":
      return googleError(408, "DEADLINE_EXCEEDED", "Deadline exceeded");
    case "fake-401":
      return googleError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.");
    case "fake-badkey":
      return googleError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", [
        { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID" },
      ]);
    case "fake-403":
      return googleError(403, "PERMISSION_DENIED", "Permission denied on resource project.");
    case "fake-404":
      return googleError(404, "NOT_FOUND", "models/gemini-nope is not found for API version v1beta");
    case "fake-402":
    case "fake-quota":
      return googleError(402, "FAILED_PRECONDITION", "Your prepayment credits are depleted. Insufficient credits.");
    case "fake-400":
      return googleError(400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
    case "fake-context":
      return googleError(
        400,
        "INVALID_ARGUMENT",
        "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
      );
    default:
      return undefined;
  }
}

type Part = { text?: string; functionResponse?: { response?: unknown } };

function textOf(parts: Part[]): string {
  return parts.map((p) => p.text ?? (p.functionResponse ? JSON.stringify(p.functionResponse.response) : "")).join(" ");
}

function normalize(model: string, body: Body): Normalized {
  const contents = body.contents as { role: string; parts: Part[] }[];
  const last = [...contents].reverse().find((c) => c.role === "user");
  const system = textOf((body.systemInstruction as { parts?: Part[] } | undefined)?.parts ?? []);
  const config = (body.generationConfig ?? {}) as Body;
  const calling = ((body.toolConfig as Body | undefined)?.functionCallingConfig ?? {}) as {
    mode?: string;
    allowedFunctionNames?: string[];
  };
  const declarations = (
    (body.tools as
      | { functionDeclarations?: { name: string; parameters?: unknown; parametersJsonSchema?: unknown }[] }[]
      | undefined) ?? []
  ).flatMap((t) => t.functionDeclarations ?? []);
  return {
    model,
    promptText: [system, ...contents.map((c) => textOf(c.parts))].join(" "),
    lastInput: last === undefined ? "" : textOf(last.parts),
    tools: declarations.map((d) => ({ name: d.name, parameters: d.parametersJsonSchema ?? d.parameters })),
    forcedTool: calling.mode === "ANY" ? (calling.allowedFunctionNames?.[0] ?? "*") : undefined,
    json:
      config.responseMimeType === "application/json"
        ? { schema: config.responseJsonSchema ?? config.responseSchema }
        : undefined,
    maxTokens: typeof config.maxOutputTokens === "number" ? config.maxOutputTokens : undefined,
  };
}

function invalid(body: Body): ErrorSpec | undefined {
  if (!Array.isArray(body.contents) || body.contents.length === 0)
    return googleError(400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not specified");
  for (const [i, c] of (body.contents as Body[]).entries()) {
    if (c.role !== "user" && c.role !== "model")
      return googleError(400, "INVALID_ARGUMENT", `Please use a valid role: user, model. (contents[${i}].role)`);
  }
  return undefined;
}

export async function handleGoogle(
  model: string,
  method: string,
  alt: string | null,
  headers: IncomingHttpHeaders,
  body: Body,
  res: ServerResponse,
): Promise<void> {
  const knob = knobOf(model);
  if (!headers["x-goog-api-key"])
    return sendJson(
      res,
      403,
      googleError(
        403,
        "PERMISSION_DENIED",
        "Method doesn't allow unregistered callers (callers without established identity).",
      ).body,
    );
  const error = knobError(knob);
  if (error) return sendJson(res, error.status, error.body, error.headers);
  if (method === "batchEmbedContents") {
    const requests = Array.isArray(body.requests)
      ? (body.requests as { model?: string; content?: { parts?: Part[] } }[])
      : [];
    const wrong = requests.findIndex((r) => r.model !== `models/${model}`);
    if (wrong >= 0)
      return sendJson(
        res,
        400,
        googleError(400, "INVALID_ARGUMENT", `requests[${wrong}].model must be models/${model}`).body,
      );
    return sendJson(res, 200, {
      embeddings: requests.map((r) => ({ values: embedding(textOf(r.content?.parts ?? [])) })),
    });
  }
  const bad = invalid(body);
  if (bad) return sendJson(res, bad.status, bad.body);
  const stream = method === "streamGenerateContent";
  if (stream && alt !== "sse")
    return sendJson(res, 400, googleError(400, "INVALID_ARGUMENT", "the fake only streams with alt=sse").body);
  if (method !== "generateContent" && !stream)
    return sendJson(res, 404, googleError(404, "NOT_FOUND", `unknown method ${method}`).body);
  const usage = (a: { inputTokens: number; outputTokens: number }) => ({
    promptTokenCount: a.inputTokens,
    candidatesTokenCount: a.outputTokens,
    totalTokenCount: a.inputTokens + a.outputTokens,
  });
  const a = answer(normalize(model, body), knob);
  if (knob.name === "fake-blocked") {
    const blocked = {
      promptFeedback: { blockReason: "SAFETY" },
      usageMetadata: { promptTokenCount: a.inputTokens, totalTokenCount: a.inputTokens },
      modelVersion: model,
    };
    return stream ? sendSse(res, [dataFrame(blocked)]) : sendJson(res, 200, blocked);
  }
  const finishReason = a.kind === "text" && a.finish === "length" ? "MAX_TOKENS" : "STOP";
  const candidate = (parts: unknown[], finish?: string) => ({
    candidates: [{ content: { role: "model", parts }, ...(finish ? { finishReason: finish } : {}), index: 0 }],
    modelVersion: model,
    responseId: "resp-fake",
  });
  if (!stream) {
    if (knob.slowMs) await sleep(knob.slowMs, res);
    const parts = a.kind === "tool" ? [{ functionCall: { name: a.name, args: a.args } }] : [{ text: a.text }];
    return sendJson(res, 200, { ...candidate(parts, finishReason), usageMetadata: usage(a) });
  }
  const frames =
    a.kind === "tool"
      ? [
          dataFrame({
            ...candidate([{ functionCall: { name: a.name, args: a.args } }], "STOP"),
            usageMetadata: usage(a),
          }),
        ]
      : a.pieces.map((piece, i) =>
          dataFrame(
            i === a.pieces.length - 1
              ? { ...candidate([{ text: piece }], finishReason), usageMetadata: usage(a) }
              : candidate([{ text: piece }]),
          ),
        );
  if (knob.name === "fake-midstream-error" || knob.name === "fake-truncated") {
    const partial = frames.slice(0, 2);
    if (knob.name === "fake-midstream-error")
      partial.push(dataFrame({ error: { code: 503, message: "The model is overloaded.", status: "UNAVAILABLE" } }));
    return sendSse(res, partial);
  }
  return sendSse(res, frames, {
    firstDelayMs: knob.slowMs,
    between: knob.name === "fake-keepalive" ? ": keep-alive\n\n" : undefined,
  });
}
