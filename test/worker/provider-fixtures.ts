/**
 * Shared fixtures for the provider tests: requests, stream collection, failure capture, and reading back
 * what the fake upstreams (test/worker/fake-upstreams.ts) received.
 */
import { env } from "cloudflare:workers";
import { type ChatMessage, type ChatRequest, ProviderError, type StreamChunk } from "../../workers/models/types";
import { uniqueId } from "./helpers";

export const FAKE = env.TEST_FAKE_UPSTREAMS_URL;

export interface Recorded {
  seq: number;
  method: string;
  path: string;
  search: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  model: string | undefined;
}

/** `<knob>~<unique tag>`: the fake picks its behaviour from the knob; the tag finds this test's requests. */
export function model(knob = "echo"): string {
  return `${knob}~${uniqueId("t")}`;
}

export function user(text: string): ChatMessage {
  return { role: "user", content: [{ type: "text", text }] };
}

export function chatReq(modelName: string, over: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: modelName,
    messages: [user("hello there world")],
    params: {},
    signal: AbortSignal.timeout(10_000),
    ...over,
  };
}

export async function recorded(modelName: string): Promise<Recorded[]> {
  const res = await fetch(`${FAKE}/_requests?model=${encodeURIComponent(modelName)}`);
  return await res.json<Recorded[]>();
}

export async function lastRecorded(modelName: string): Promise<Recorded> {
  const all = await recorded(modelName);
  const last = all.at(-1);
  if (last === undefined) throw new Error(`the fake received nothing for ${modelName}`);
  return last;
}

export async function collect(stream: AsyncIterable<StreamChunk>): Promise<StreamChunk[]> {
  const chunks: StreamChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** The chunks a stream yielded before it failed, and the failure. */
export async function collectUntilError(
  stream: AsyncIterable<StreamChunk>,
): Promise<{ chunks: StreamChunk[]; error: ProviderError }> {
  const chunks: StreamChunk[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
  } catch (err) {
    if (err instanceof ProviderError) return { chunks, error: err };
    throw err;
  }
  throw new Error(`expected the stream to fail; it yielded ${JSON.stringify(chunks)}`);
}

export async function failure(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
  throw new Error("expected a ProviderError");
}

export function textOf(chunks: StreamChunk[]): string {
  return chunks.map((c) => (c.type === "text_delta" ? c.text : "")).join("");
}

export function argumentsOf(chunks: StreamChunk[], index = 0): string {
  return chunks.map((c) => (c.type === "tool_call_delta" && c.index === index ? c.arguments_delta : "")).join("");
}

/** A tool whose arguments schema the fake samples: `{city: <input text>, days: <word count>}`. */
export const WEATHER_TOOL = {
  name: "get_weather",
  description: "Weather for a city",
  parameters: {
    type: "object",
    properties: { city: { type: "string" }, days: { type: "integer" } },
    required: ["city"],
    additionalProperties: false,
  },
};

export const ANSWER_SCHEMA = {
  type: "object",
  properties: { answer: { type: "string" }, words: { type: "integer" } },
  required: ["answer", "words"],
  additionalProperties: false,
};
