/**
 * What every fake upstream flavour shares: reading the knob out of the model name, the deterministic answer
 * (echo, tool call, JSON sample, embeddings), and writing JSON or SSE over Node's http response.
 */
import type { ServerResponse } from "node:http";

/**
 * The knob is the model name up to an optional `~tag` (the tag only makes a request findable in the record).
 * `slowMs` is the delay for `fake-slow-first-token[-<ms>]` (2000 ms by default); `frameDelayMs` the pause
 * between stream frames for `fake-slow-stream[-<ms>]` (100 ms by default; OpenAI flavour).
 */
export interface Knob {
  name: string;
  slowMs: number;
  frameDelayMs?: number;
}

export function knobOf(model: string): Knob {
  const name = model.split("~")[0] ?? model;
  const slow = /^fake-slow-first-token(?:-(\d+))?$/.exec(name);
  if (slow) return { name: "fake-slow-first-token", slowMs: slow[1] === undefined ? 2000 : Number(slow[1]) };
  const paced = /^fake-slow-stream(?:-(\d+))?$/.exec(name);
  if (paced)
    return { name: "fake-slow-stream", slowMs: 0, frameDelayMs: paced[1] === undefined ? 100 : Number(paced[1]) };
  return { name, slowMs: 0 };
}

/** The flavour-neutral view of a chat request the answer is computed from. */
export interface Normalized {
  model: string;
  /** All prompt text (system + messages), for the input token count. */
  promptText: string;
  /** The text of the last user turn, or of the last tool result: what gets echoed. */
  lastInput: string;
  tools: { name: string; parameters: unknown }[];
  /** A tool the request forces (tool_choice), or "*" for "any tool". */
  forcedTool: string | undefined;
  /** JSON mode: `schema` undefined means any JSON object. */
  json: { schema: unknown } | undefined;
  maxTokens: number | undefined;
}

export type Answer =
  | {
      kind: "text";
      text: string;
      pieces: string[];
      finish: "stop" | "length";
      inputTokens: number;
      outputTokens: number;
    }
  | {
      kind: "tool";
      id: string;
      name: string;
      args: Record<string, unknown>;
      pieces: string[];
      inputTokens: number;
      outputTokens: number;
    };

export function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== "");
}

/** Splits a string into `n` roughly equal pieces, so streamed JSON/arguments arrive in parts. */
function split(text: string, n: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / n));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** The deterministic answer: a tool call when asked for one, a JSON sample in JSON mode, else `echo: <input>`. */
export function answer(req: Normalized, knob: Knob): Answer {
  const inputTokens = words(req.promptText).length;
  const tool =
    req.forcedTool === undefined || req.forcedTool === "*"
      ? req.tools[0]
      : req.tools.find((t) => t.name === req.forcedTool);
  if (tool !== undefined && (req.forcedTool !== undefined || knob.name === "fake-tool")) {
    const args = sample(tool.parameters, req.lastInput) as Record<string, unknown>;
    const json = JSON.stringify(args);
    return {
      kind: "tool",
      id: "call_fake_1",
      name: tool.name,
      args,
      pieces: split(json, 3),
      inputTokens,
      outputTokens: words(json).length + 1,
    };
  }
  if (req.json !== undefined && knob.name !== "fake-not-json") {
    const json = JSON.stringify(
      req.json.schema === undefined ? { echo: req.lastInput } : sample(req.json.schema, req.lastInput),
    );
    return {
      kind: "text",
      text: json,
      pieces: split(json, 3),
      finish: "stop",
      inputTokens,
      outputTokens: words(json).length,
    };
  }
  let out = words(knob.name === "fake-not-json" ? "this is not json" : `echo: ${req.lastInput}`);
  let finish: "stop" | "length" = "stop";
  if (req.maxTokens !== undefined && out.length > req.maxTokens) {
    out = out.slice(0, req.maxTokens);
    finish = "length";
  }
  const pieces = out.map((w, i) => (i === 0 ? w : ` ${w}`));
  return { kind: "text", text: pieces.join(""), pieces, finish, inputTokens, outputTokens: out.length };
}

/** A minimal instance of a JSON Schema (types in either case, for Gemini's OpenAPI-style schemas). */
export function sample(schema: unknown, text: string, depth = 0): unknown {
  if (typeof schema !== "object" || schema === null || depth > 8) return text;
  const s = schema as Record<string, unknown>;
  if ("const" in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  const variants = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined;
  if (variants && variants.length > 0) return sample(variants[0], text, depth + 1);
  const rawType = Array.isArray(s.type) ? (s.type as unknown[]).find((t) => t !== "null") : s.type;
  const type = typeof rawType === "string" ? rawType.toLowerCase() : s.properties ? "object" : "string";
  switch (type) {
    case "object": {
      // A free-form object (json_object mode, Anthropic's JSON tool without a schema) gets the echo.
      if (s.properties === undefined) return { echo: text };
      const props = s.properties as Record<string, unknown>;
      return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, sample(v, text, depth + 1)]));
    }
    case "array":
      return [sample(s.items, text, depth + 1)];
    case "integer":
    case "number":
      return words(text).length;
    case "boolean":
      return true;
    case "null":
      return null;
    default:
      return text;
  }
}

/** Letter counts a–z: deterministic, and similar texts get similar vectors (for semantic-cache tests). */
export function embedding(text: string): number[] {
  const v = new Array<number>(26).fill(0);
  for (const ch of text.toLowerCase()) {
    const i = ch.charCodeAt(0) - 97;
    if (i >= 0 && i < 26) v[i] = (v[i] ?? 0) + 1;
  }
  return v;
}

export function sleep(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    res.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

export interface SseOptions {
  /** Wait before the first frame (headers go out at once, as real upstreams do). */
  firstDelayMs?: number;
  /** Written before the first frame and between frames (keep-alive comments, Anthropic pings). */
  between?: string | undefined;
  /** Wait between frames (a model that streams slowly). */
  frameDelayMs?: number | undefined;
}

/** Writes SSE frames, each in two writes split mid-frame, so clients must buffer across chunks. */
export async function sendSse(res: ServerResponse, frames: string[], opts: SseOptions = {}): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.flushHeaders();
  if (opts.between) res.write(opts.between);
  if (opts.firstDelayMs) await sleep(opts.firstDelayMs, res);
  for (const frame of frames) {
    if (res.destroyed) return;
    const cut = Math.floor(frame.length / 2);
    res.write(frame.slice(0, cut));
    await new Promise((resolve) => setImmediate(resolve));
    res.write(frame.slice(cut));
    if (opts.between) res.write(opts.between);
    if (opts.frameDelayMs) await sleep(opts.frameDelayMs, res);
  }
  res.end();
}

export function dataFrame(body: unknown): string {
  return `data: ${typeof body === "string" ? body : JSON.stringify(body)}\n\n`;
}

export function eventFrame(event: string, body: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(body)}\n\n`;
}

/** How the three flavours render an HTTP error; each knob picks status, body and headers through it. */
export interface ErrorSpec {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export function retryAfterDate(seconds: number): string {
  return new Date(Date.now() + seconds * 1000).toUTCString();
}
