/**
 * The ollama provider over its direct transport, against a fake Ollama (test/fakes/fake-ollama.ts) that
 * speaks the real native API: the request body it builds, chat (non-streaming and streamed NDJSON split at
 * awkward byte boundaries), tool calls, JSON format, embeddings, and how each failure is classified — the
 * `{"error"}` line under status 200, 404 (model not pulled), 4xx/5xx, a refused connection, a timeout.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { createOllamaProvider } from "../../workers/models/providers/ollama";
import { type ChatRequest, ProviderError, type StreamChunk } from "../../workers/models/types";
import { uniqueId } from "./helpers";

const FAKE = env.TEST_FAKE_OLLAMA_URL;
const provider = createOllamaProvider({ name: "ollama", type: "ollama", url: FAKE }, env);

/** What the fake plays back for a model (see test/fakes/fake-ollama.ts). */
interface Script {
  status?: number;
  headers?: Record<string, string>;
  lines?: unknown[];
  body?: string;
  chunk_bytes?: number;
  gap_ms?: number;
  delay_ms?: number;
}

async function script(s: Script): Promise<string> {
  const model = uniqueId("scripted");
  const res = await fetch(`${FAKE}/__script`, { method: "POST", body: JSON.stringify({ model, ...s }) });
  if (res.status !== 204) throw new Error(`script failed: ${res.status}`);
  return model;
}

async function received(model: string): Promise<{ path: string; body: Record<string, unknown> }[]> {
  const res = await fetch(`${FAKE}/__requests?model=${encodeURIComponent(model)}`);
  return await res.json<{ path: string; body: Record<string, unknown> }[]>();
}

function chatRequest(model: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model,
    messages: [{ role: "user", content: [{ type: "text", text: "hi there" }] }],
    params: {},
    signal: AbortSignal.timeout(10_000),
    ...extra,
  };
}

const at = (model: string) => ({ model, created_at: "2025-01-01T00:00:00.000Z" });
const delta = (model: string, content: string) => ({
  ...at(model),
  message: { role: "assistant", content },
  done: false,
});
const final = (model: string, extra: Record<string, unknown> = {}) => ({
  ...at(model),
  message: { role: "assistant", content: "" },
  done_reason: "stop",
  done: true,
  total_duration: 5_000_000,
  prompt_eval_count: 12,
  prompt_eval_duration: 1_000_000,
  eval_count: 7,
  eval_duration: 3_000_000,
  ...extra,
});

async function drain(
  stream: AsyncIterable<StreamChunk>,
): Promise<{ chunks: StreamChunk[]; error: ProviderError | null }> {
  const chunks: StreamChunk[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
    return { chunks, error: null };
  } catch (err) {
    if (err instanceof ProviderError) return { chunks, error: err };
    throw err;
  }
}

async function failure(work: Promise<unknown>): Promise<ProviderError> {
  try {
    await work;
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
  throw new Error("expected a ProviderError");
}

const text = (chunks: StreamChunk[]) => chunks.flatMap((c) => (c.type === "text_delta" ? [c.text] : [])).join("");

describe("ollama provider (direct)", () => {
  it("should send Ollama's native chat body and read a non-streaming answer", async ({ expect }) => {
    const result = await provider.chat(
      chatRequest("llama3.2", {
        system: "be brief",
        params: { temperature: 0.2, top_p: 0.9, max_tokens: 64, stop: ["\n\n"], seed: 7 },
        messages: [
          { role: "user", content: [{ type: "text", text: "weather?" }] },
          {
            role: "assistant",
            content: [{ type: "tool_call", id: "call_1", name: "weather", arguments: '{"city":"Paris"}' }],
          },
          { role: "tool", content: [{ type: "tool_result", id: "call_1", name: "weather", result: "sunny" }] },
          { role: "user", content: [{ type: "text", text: "thanks" }] },
        ],
      }),
    );
    expect(result.content).toEqual([{ type: "text", text: "echo: thanks" }]);
    expect(result.finish_reason).toBe("stop");
    expect(result.usage.output_tokens).toBeGreaterThan(0);
    const [sent] = await received("llama3.2").then((r) => r.slice(-1));
    expect(sent?.path).toBe("/api/chat");
    expect(sent?.body).toEqual({
      model: "llama3.2",
      stream: false,
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "weather?" },
        {
          role: "assistant",
          content: "",
          tool_calls: [{ function: { name: "weather", arguments: { city: "Paris" } } }],
        },
        { role: "tool", content: "sunny", tool_name: "weather" },
        { role: "user", content: "thanks" },
      ],
      options: { temperature: 0.2, top_p: 0.9, num_predict: 64, stop: ["\n\n"], seed: 7 },
    });
  });

  it("should reassemble NDJSON lines and UTF-8 characters split across network chunks", async ({ expect }) => {
    const parts = ["Grüß ", "dich, ", "Welt 🌍", " — ok"];
    const model = await script({ lines: [...parts.map((p) => delta("m", p)), final("m")], chunk_bytes: 5, gap_ms: 1 });
    const { chunks, error } = await drain(provider.chatStream(chatRequest(model)));
    expect(error).toBeNull();
    // One delta per NDJSON line, whatever the byte slicing: lines were assembled before parsing.
    expect(chunks.filter((c) => c.type === "text_delta").map((c) => (c.type === "text_delta" ? c.text : ""))).toEqual(
      parts,
    );
    expect(chunks.slice(-2)).toEqual([
      { type: "usage", usage: { input_tokens: 12, output_tokens: 7 } },
      { type: "finish", finish_reason: "stop" },
    ]);
    expect((await received(model))[0]?.body.stream).toBe(true);
  });

  it("should accept a last line without a newline and CRLF line ends", async ({ expect }) => {
    const model = await script({
      body: `${JSON.stringify(delta("m", "a"))}\r\n\r\n${JSON.stringify(final("m", { done_reason: "length" }))}`,
    });
    const { chunks, error } = await drain(provider.chatStream(chatRequest(model)));
    expect(error).toBeNull();
    expect(text(chunks)).toBe("a");
    expect(chunks.at(-1)).toEqual({ type: "finish", finish_reason: "length" });
  });

  it("should turn whole tool calls with object arguments into tool_call deltas with ids", async ({ expect }) => {
    const calls = [
      { function: { name: "weather", arguments: { city: "Paris", days: 2 } } },
      { function: { name: "time", arguments: {} } },
    ];
    const model = await script({
      lines: [{ ...at("m"), message: { role: "assistant", content: "", tool_calls: calls }, done: false }, final("m")],
    });
    const tools = [
      {
        name: "weather",
        description: "forecast",
        parameters: { type: "object", properties: { city: { type: "string" } } },
      },
      { name: "time", parameters: { type: "object" } },
    ];
    const { chunks } = await drain(provider.chatStream(chatRequest(model, { tools })));
    const deltas = chunks.filter((c) => c.type === "tool_call_delta");
    expect(deltas).toMatchObject([
      { index: 0, name: "weather", arguments_delta: '{"city":"Paris","days":2}' },
      { index: 1, name: "time", arguments_delta: "{}" },
    ]);
    const ids = deltas.map((d) => (d.type === "tool_call_delta" ? d.id : ""));
    expect(ids.every((id) => /^call_[0-9a-f]{24}$/.test(id ?? ""))).toBe(true);
    expect(new Set(ids).size).toBe(2);
    expect(chunks.at(-1)).toEqual({ type: "finish", finish_reason: "tool_call" });

    const result = await provider.chat(chatRequest(model, { tools, tool_choice: { name: "weather" } }));
    expect(result.content).toMatchObject([
      { type: "tool_call", name: "weather", arguments: '{"city":"Paris","days":2}' },
      { type: "tool_call", name: "time" },
    ]);
    const sent = await received(model);
    expect(sent[0]?.body.tools).toEqual([
      { type: "function", function: { name: "weather", description: "forecast", parameters: tools[0]?.parameters } },
      { type: "function", function: { name: "time", parameters: { type: "object" } } },
    ]);
    // A named tool_choice offers only that tool (Ollama has no tool_choice of its own).
    expect((sent[1]?.body.tools as { function: { name: string } }[]).map((t) => t.function.name)).toEqual(["weather"]);
  });

  it('should ask for JSON with format "json" or with the schema itself', async ({ expect }) => {
    const schema = { type: "object", properties: { echo: { type: "string" } }, required: ["echo"] };
    const bySchema = await provider.chat(
      chatRequest("llama3.2", { json: { mode: "json_schema", name: "echo", schema } }),
    );
    const byMode = await provider.chat(chatRequest("llama3.2", { json: { mode: "json_object" } }));
    const first = bySchema.content[0];
    expect(first?.type === "text" ? JSON.parse(first.text) : null).toEqual({ echo: "hi there" });
    expect(byMode.content).toEqual(bySchema.content);
    const sent = (await received("llama3.2")).slice(-2);
    expect(sent.map((s) => s.body.format)).toEqual([schema, "json"]);
  });

  it("should embed a batch through /api/embed", async ({ expect }) => {
    const result = await provider.embed({
      model: "nomic-embed-text",
      input: ["one", "three"],
      signal: AbortSignal.timeout(5000),
    });
    expect(result.embeddings).toHaveLength(2);
    expect(result.embeddings[0]).toHaveLength(8);
    expect(result.embeddings[0]).not.toEqual(result.embeddings[1]);
    expect(result.usage.input_tokens).toBe(6);
    const [sent] = (await received("nomic-embed-text")).slice(-1);
    expect(sent).toEqual({ path: "/api/embed", body: { model: "nomic-embed-text", input: ["one", "three"] } });
  });

  it("should fail an embed answer that does not match its inputs", async ({ expect }) => {
    const model = await script({ lines: [{ model: "m", embeddings: [[0.1, 0.2]] }] });
    const error = await failure(provider.embed({ model, input: ["a", "b"], signal: AbortSignal.timeout(5000) }));
    expect(error.kind).toBe("stream");
  });

  it('should treat an {"error"} line under status 200 as a failed stream', async ({ expect }) => {
    const model = await script({
      lines: [delta("m", "partial "), { error: "an error was encountered while running the model: unexpected EOF" }],
      gap_ms: 5,
    });
    const { chunks, error } = await drain(provider.chatStream(chatRequest(model)));
    expect(text(chunks)).toBe("partial ");
    expect(error?.kind).toBe("stream");
    expect(error?.message).toContain("unexpected EOF");
    expect((await failure(provider.chat(chatRequest(model)))).kind).toBe("stream");
  });

  it("should fail a stream that ends before its done object, or carries a line that is not JSON", async ({
    expect,
  }) => {
    const cut = await script({ lines: [delta("m", "a"), delta("m", "b")] });
    expect((await drain(provider.chatStream(chatRequest(cut)))).error?.kind).toBe("stream");
    const garbage = await script({ lines: [delta("m", "a"), "<html>502 Bad Gateway</html>"] });
    expect((await drain(provider.chatStream(chatRequest(garbage)))).error?.kind).toBe("stream");
  });

  it("should report a model that is not pulled as unavailable, so the next tier is tried", async ({ expect }) => {
    const error = await failure(provider.chat(chatRequest("not-pulled:7b")));
    expect(error.kind).toBe("unavailable");
    expect(error.status).toBe(404);
    expect(error.message).toContain("not found, try pulling it first");
  });

  it("should classify HTTP failures like every other provider", async ({ expect }) => {
    const cases: [Script, string][] = [
      [{ status: 400, lines: [{ error: "invalid options" }] }, "bad_request"],
      [{ status: 429, headers: { "retry-after": "3" }, lines: [{ error: "too many requests" }] }, "rate_limited"],
      [{ status: 500, lines: [{ error: "llama runner process has terminated" }] }, "server"],
      [{ status: 502, body: "bad gateway" }, "server"],
      [
        { status: 503, lines: [{ error: "server busy, please try again.  maximum pending requests exceeded" }] },
        "overloaded",
      ],
    ];
    for (const [s, kind] of cases) {
      const error = await failure(provider.chat(chatRequest(await script(s))));
      expect({ status: s.status, kind: error.kind }).toEqual({ status: s.status, kind });
      if (s.status === 429) expect(error.retryAfterMs).toBe(3000);
    }
  });

  it("should call a refused connection a network failure", async ({ expect }) => {
    const nowhere = createOllamaProvider({ name: "ollama", type: "ollama", url: "http://127.0.0.1:1" }, env);
    expect((await failure(nowhere.chat(chatRequest("llama3.2")))).kind).toBe("network");
  });

  it("should time out on a slow first byte and on a stream that stalls, when the signal aborts", async ({ expect }) => {
    const slow = await script({ delay_ms: 5000, lines: [final("m")] });
    const error = await failure(provider.chat(chatRequest(slow, { signal: AbortSignal.timeout(200) })));
    expect(error.kind).toBe("timeout");

    const stall = await script({ lines: [delta("m", "first"), final("m")], gap_ms: 5000 });
    const { chunks, error: midStream } = await drain(
      provider.chatStream(chatRequest(stall, { signal: AbortSignal.timeout(300) })),
    );
    expect(text(chunks)).toBe("first");
    expect(midStream?.kind).toBe("timeout");
  });
});
