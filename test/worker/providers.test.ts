/**
 * The shared provider plumbing (status → FailureKind, SSE parsing, createProvider) and the `openai`
 * provider against the fake OpenAI-compatible upstream: what goes on the wire, results, streams, tool
 * calls, JSON mode, embeddings and every failure class. Anthropic, Gemini and Workers AI have their own
 * providers-*.test.ts files.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { classifyHttpError, parseRetryAfter } from "../../workers/models/providers/http-errors";
import { createProvider } from "../../workers/models/providers/index";
import { createOpenAIProvider } from "../../workers/models/providers/openai";
import { quirksFor, toOpenAIBody } from "../../workers/models/providers/openai-wire";
import { sseEvents } from "../../workers/models/providers/sse";
import { joinUrl } from "../../workers/models/providers/upstream";
import type { ChatRequest, ProviderType } from "../../workers/models/types";
import {
  ANSWER_SCHEMA,
  argumentsOf,
  chatReq,
  collect,
  collectUntilError,
  FAKE,
  failure,
  lastRecorded,
  model,
  recorded,
  textOf,
  user,
  WEATHER_TOOL,
} from "./provider-fixtures";

const openai = (url = `${FAKE}/openai/v1`) =>
  createOpenAIProvider({ name: "openrouter", type: "openai", url, apiKey: "sk-test" });
const kindOf = (status: number, body = "", headers: Record<string, string> = {}) =>
  classifyHttpError("p", status, new Headers(headers), body).kind;

function streamOf(pieces: string[]): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(bytes.encode(piece));
      controller.close();
    },
  });
}

describe("providers/http-errors", () => {
  it("should read Retry-After as seconds or as an HTTP date", ({ expect }) => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("2", now)).toBe(2000);
    expect(parseRetryAfter("0.5", now)).toBe(500);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:07 GMT", now)).toBe(7000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it("should classify statuses and error bodies once for every provider", ({ expect }) => {
    expect(classifyHttpError("p", 429, new Headers({ "retry-after": "3" }), "").retryAfterMs).toBe(3000);
    expect(
      classifyHttpError("p", 429, new Headers(), '{"error":{"details":[{"retryDelay":"37s"}]}}').retryAfterMs,
    ).toBe(37_000);
    expect(kindOf(429, '{"error":{"code":"rate_limit_exceeded"}}')).toBe("rate_limited");
    expect(kindOf(429, '{"error":{"type":"insufficient_quota","code":"insufficient_quota"}}')).toBe("quota");
    expect(kindOf(429, '{"errors":[{"code":3036,"message":"Account limited"}]}')).toBe("quota");
    expect(
      kindOf(
        429,
        '{"error":{"message":"You exceeded your current quota, please check your plan and billing details"}}',
      ),
    ).toBe("rate_limited");
    expect(kindOf(529)).toBe("overloaded");
    expect(kindOf(500, '{"type":"error","error":{"type":"overloaded_error"}}')).toBe("overloaded");
    expect(kindOf(503)).toBe("overloaded");
    expect(kindOf(500)).toBe("server");
    expect(kindOf(502)).toBe("server");
    expect(kindOf(408)).toBe("server");
    expect(kindOf(401)).toBe("auth");
    expect(kindOf(403)).toBe("auth");
    expect(kindOf(400, '{"error":{"status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}}')).toBe(
      "auth",
    );
    expect(kindOf(402)).toBe("quota");
    expect(kindOf(400, '{"error":{"message":"Your credit balance is too low to access the Anthropic API."}}')).toBe(
      "quota",
    );
    expect(kindOf(400, '{"error":{"code":"context_length_exceeded"}}')).toBe("context_length");
    expect(kindOf(400, '{"error":{"message":"prompt is too long: 210000 tokens > 200000 maximum"}}')).toBe(
      "context_length",
    );
    expect(kindOf(400, "This model's maximum context length is 8192 tokens")).toBe("context_length");
    expect(kindOf(400, '{"error":{"message":"Invalid value for temperature"}}')).toBe("bad_request");
    expect(kindOf(422)).toBe("bad_request");
    expect(kindOf(404)).toBe("server");
  });
});

describe("providers/sse", () => {
  it("should parse frames split anywhere, CRLF, comments, multi-line data and event names", async ({ expect }) => {
    const body = streamOf([
      ": OPENROUTER PROC",
      'ESSING\r\n\r\ndata: {"a"',
      ":1}\r\n\r\nevent: ping\ndata: {}\n\n",
      "data: line1\ndata: line2\n\n",
      "data: [DONE]",
    ]);
    const events = [];
    for await (const e of sseEvents("p", body, AbortSignal.timeout(5000))) events.push(e);
    expect(events).toEqual([
      { event: undefined, data: '{"a":1}' },
      { event: "ping", data: "{}" },
      { event: undefined, data: "line1\nline2" },
      { event: undefined, data: "[DONE]" },
    ]);
  });

  it("should end a silent stream with a timeout when the signal aborts", async ({ expect }) => {
    const silent = new ReadableStream<Uint8Array>({ start() {} });
    const signal = AbortSignal.timeout(50);
    const error = await failure(
      (async () => {
        for await (const _ of sseEvents("p", silent, signal)) {
          /* nothing arrives */
        }
      })(),
    );
    expect(error.kind).toBe("timeout");
  });
});

describe("providers/index createProvider", () => {
  it("should build each provider type under its configured name", ({ expect }) => {
    for (const type of ["openai", "anthropic", "google", "cloudflare", "ollama"] as ProviderType[]) {
      const p = createProvider({ name: `my-${type}`, type, url: `${FAKE}/x`, apiKey: "k" }, env);
      expect([p.name, p.type]).toEqual([`my-${type}`, type]);
    }
  });
});

describe("openai provider: request mapping", () => {
  it("should post to <base>/chat/completions with Bearer auth and the OpenAI body", async ({ expect }) => {
    const m = model();
    const req: ChatRequest = chatReq(m, {
      system: "be brief",
      messages: [
        user("weather in Paris?"),
        {
          role: "assistant",
          content: [{ type: "tool_call", id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", id: "call_1", name: "get_weather", result: "sunny" },
            { type: "text", text: "thanks" },
          ],
        },
      ],
      params: { temperature: 0.2, top_p: 0.9, max_tokens: 50, stop: ["END"], seed: 7 },
      tools: [WEATHER_TOOL],
      tool_choice: "auto",
    });
    await openai().chat(req);
    const sent = await lastRecorded(m);
    expect(sent.path).toBe("/openai/v1/chat/completions");
    expect(sent.headers.authorization).toBe("Bearer sk-test");
    expect(sent.body).toMatchObject({
      model: m,
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "weather in Paris?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "sunny" },
        { role: "user", content: "thanks" },
      ],
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 50,
      stop: ["END"],
      seed: 7,
      tools: [{ type: "function", function: { name: "get_weather", parameters: WEATHER_TOOL.parameters } }],
      tool_choice: "auto",
    });
  });

  it("should join a base URL with a trailing slash (GLM's …/paas/v4/) without a double slash", async ({ expect }) => {
    const m = model();
    const result = await openai(`${FAKE}/openai/paas/v4/`).chat(chatReq(m));
    expect((await lastRecorded(m)).path).toBe("/openai/paas/v4/chat/completions");
    expect(result.finish_reason).toBe("stop");
    expect(joinUrl("https://open.bigmodel.cn/api/paas/v4/", "embeddings")).toBe(
      "https://open.bigmodel.cn/api/paas/v4/embeddings",
    );
  });

  it("should apply host quirks: max_completion_tokens on api.openai.com, no stream_options or json_schema on GLM", ({
    expect,
  }) => {
    const req = chatReq("m", {
      params: { max_tokens: 9, presence_penalty: 1 },
      json: { mode: "json_schema", name: "answer", schema: ANSWER_SCHEMA },
    });
    const official = toOpenAIBody(req, quirksFor("https://api.openai.com/v1"));
    expect(official).toMatchObject({
      max_completion_tokens: 9,
      presence_penalty: 1,
      response_format: { type: "json_schema", json_schema: { name: "answer", schema: ANSWER_SCHEMA } },
    });
    expect(official.max_tokens).toBeUndefined();
    const glmQuirks = quirksFor("https://open.bigmodel.cn/api/paas/v4/");
    const glm = toOpenAIBody(req, glmQuirks);
    expect([glm.max_tokens, glm.presence_penalty, glm.response_format, glmQuirks.streamUsage]).toEqual([
      9,
      undefined,
      { type: "json_object" },
      false,
    ]);
    expect(JSON.stringify(glm.messages)).toContain("JSON Schema");
  });
});

describe("openai provider: results", () => {
  it("should return the text, usage, finish reason and model", async ({ expect }) => {
    const m = model();
    const result = await openai().chat(chatReq(m));
    expect(result).toEqual({
      content: [{ type: "text", text: "echo: hello there world" }],
      usage: { input_tokens: 3, output_tokens: 4 },
      finish_reason: "stop",
      model: m,
    });
  });

  it("should report a cut-off answer as finish_reason length", async ({ expect }) => {
    const result = await openai().chat(chatReq(model(), { params: { max_tokens: 2 } }));
    expect([result.content, result.finish_reason]).toEqual([[{ type: "text", text: "echo: hello" }], "length"]);
  });

  it("should stream deltas, then usage, then finish, asking for include_usage", async ({ expect }) => {
    const m = model();
    const chunks = await collect(openai().chatStream(chatReq(m)));
    expect(textOf(chunks)).toBe("echo: hello there world");
    expect(chunks.filter((c) => c.type === "text_delta").length).toBe(4);
    expect(chunks.slice(-2)).toEqual([
      { type: "usage", usage: { input_tokens: 3, output_tokens: 4 } },
      { type: "finish", finish_reason: "stop" },
    ]);
    expect((await lastRecorded(m)).body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it("should return tool calls, whole and streamed", async ({ expect }) => {
    const req = () => chatReq(model("fake-tool"), { tools: [WEATHER_TOOL] });
    const result = await openai().chat(req());
    expect(result.finish_reason).toBe("tool_call");
    expect(result.content).toEqual([
      { type: "tool_call", id: "call_fake_1", name: "get_weather", arguments: '{"city":"hello there world","days":3}' },
    ]);
    const chunks = await collect(openai().chatStream(req()));
    expect(chunks.find((c) => c.type === "tool_call_delta")).toMatchObject({
      index: 0,
      id: "call_fake_1",
      name: "get_weather",
    });
    expect(JSON.parse(argumentsOf(chunks))).toEqual({ city: "hello there world", days: 3 });
    expect(chunks.at(-1)).toEqual({ type: "finish", finish_reason: "tool_call" });
  });

  it("should pass a forced tool choice as {type: function, function: {name}}", async ({ expect }) => {
    const m = model();
    const result = await openai().chat(chatReq(m, { tools: [WEATHER_TOOL], tool_choice: { name: "get_weather" } }));
    expect((await lastRecorded(m)).body.tool_choice).toEqual({ type: "function", function: { name: "get_weather" } });
    expect(result.content[0]).toMatchObject({ type: "tool_call", name: "get_weather" });
  });

  it("should ask for json_object with the word JSON present, and pass json_schema through", async ({ expect }) => {
    // The fake, like OpenAI, answers 400 to json_object when no message mentions JSON.
    const objectMode = await openai().chat(chatReq(model(), { json: { mode: "json_object" } }));
    expect(JSON.parse(objectMode.content[0]?.type === "text" ? objectMode.content[0].text : "")).toEqual({
      echo: "hello there world",
    });
    const m = model();
    const schemaMode = await openai().chat(
      chatReq(m, { json: { mode: "json_schema", name: "answer", schema: ANSWER_SCHEMA } }),
    );
    expect((await lastRecorded(m)).body.response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "answer", schema: ANSWER_SCHEMA },
    });
    expect(JSON.parse(schemaMode.content[0]?.type === "text" ? schemaMode.content[0].text : "")).toEqual({
      answer: "hello there world",
      words: 3,
    });
  });

  it("should embed a batch in input order with usage", async ({ expect }) => {
    const m = model();
    const result = await openai().embed({ model: m, input: ["abc", "zz top"], signal: AbortSignal.timeout(5000) });
    expect(result.embeddings.map((e) => e.length)).toEqual([26, 26]);
    expect([result.embeddings[0]?.[0], result.embeddings[1]?.[25]]).toEqual([1, 2]);
    expect(result.usage.input_tokens).toBe(3);
    expect((await lastRecorded(m)).path).toBe("/openai/v1/embeddings");
  });
});

describe("openai provider: failures", () => {
  it("should classify each upstream failure", async ({ expect }) => {
    const cases: [string, string, number | undefined][] = [
      ["fake-429", "rate_limited", 2000],
      ["fake-529", "overloaded", undefined],
      ["fake-503", "overloaded", 1000],
      ["fake-500", "server", undefined],
      ["fake-408", "server", undefined],
      ["fake-401", "auth", undefined],
      ["fake-403", "auth", undefined],
      ["fake-402", "quota", undefined],
      ["fake-quota", "quota", undefined],
      ["fake-400", "bad_request", undefined],
      ["fake-context", "context_length", undefined],
      ["fake-404", "server", undefined],
      ["fake-malformed", "stream", undefined],
    ];
    for (const [knob, kind, retryAfterMs] of cases) {
      const error = await failure(openai().chat(chatReq(model(knob))));
      expect([knob, error.kind, error.retryAfterMs]).toEqual([knob, kind, retryAfterMs]);
    }
    const dated = await failure(openai().chat(chatReq(model("fake-429-date"))));
    expect(dated.retryAfterMs).toBeGreaterThan(500);
    expect(dated.retryAfterMs).toBeLessThanOrEqual(3000);
    const embedError = await failure(
      openai().embed({ model: model("fake-429"), input: ["x"], signal: AbortSignal.timeout(5000) }),
    );
    expect(embedError.kind).toBe("rate_limited");
  });

  it("should report a closed port as a network error", async ({ expect }) => {
    const error = await failure(openai("http://127.0.0.1:1/v1").chat(chatReq(model())));
    expect(error.kind).toBe("network");
  });

  it("should turn a slow first token past the signal's budget into a timeout", async ({ expect }) => {
    const streamed = await failure(
      collect(openai().chatStream(chatReq(model("fake-slow-first-token-3000"), { signal: AbortSignal.timeout(200) }))),
    );
    const whole = await failure(
      openai().chat(chatReq(model("fake-slow-first-token-3000"), { signal: AbortSignal.timeout(200) })),
    );
    expect([streamed.kind, whole.kind]).toEqual(["timeout", "timeout"]);
  });

  it("should fail a stream that reports an error after some deltas, keeping the deltas", async ({ expect }) => {
    const { chunks, error } = await collectUntilError(openai().chatStream(chatReq(model("fake-midstream-error"))));
    expect(textOf(chunks)).toBe("echo: hello");
    expect(error.kind).toBe("stream");
    const truncated = await collectUntilError(openai().chatStream(chatReq(model("fake-truncated"))));
    expect(truncated.error.kind).toBe("stream");
    const malformed = await collectUntilError(openai().chatStream(chatReq(model("fake-malformed-stream"))));
    expect(malformed.error.kind).toBe("stream");
  });

  it("should skip ': OPENROUTER PROCESSING' keep-alive comments", async ({ expect }) => {
    const chunks = await collect(openai().chatStream(chatReq(model("fake-keepalive"))));
    expect(textOf(chunks)).toBe("echo: hello there world");
    expect(chunks.at(-1)).toEqual({ type: "finish", finish_reason: "stop" });
  });

  it("should send nothing when the signal is already aborted", async ({ expect }) => {
    const m = model();
    const controller = new AbortController();
    controller.abort();
    const error = await failure(openai().chat(chatReq(m, { signal: controller.signal })));
    expect(error.kind).toBe("timeout");
    expect(await recorded(m)).toEqual([]);
  });
});
