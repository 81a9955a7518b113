/**
 * The `google` (Gemini) provider against the fake AI Studio API: URL and `x-goog-api-key`, roles
 * user/model, systemInstruction, generationConfig, function declarations and responses, results and
 * finishReason mapping, `alt=sse` streams without `[DONE]`, JSON via responseJsonSchema, batch embeddings,
 * and failures (RetryInfo in the body, API_KEY_INVALID as auth, prompt blocks as content_filter).
 */
import { describe, it } from "vitest";
import { createGoogleProvider } from "../../workers/models/providers/google";
import {
  ANSWER_SCHEMA,
  chatReq,
  collect,
  collectUntilError,
  FAKE,
  failure,
  lastRecorded,
  model,
  textOf,
  user,
  WEATHER_TOOL,
} from "./provider-fixtures";

const google = () =>
  createGoogleProvider({ name: "google_gemini", type: "google", url: `${FAKE}/google/v1beta`, apiKey: "g-test" });

describe("google provider: request mapping", () => {
  it("should post models/{model}:generateContent with x-goog-api-key and Gemini's body", async ({ expect }) => {
    const m = model();
    await google().chat(
      chatReq(m, {
        system: "be brief",
        messages: [
          user("weather in Paris?"),
          {
            role: "assistant",
            content: [{ type: "tool_call", id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }],
          },
          // No name on the result: the provider finds it from the call id, as Gemini needs the function name.
          { role: "user", content: [{ type: "tool_result", id: "call_1", result: '{"sky":"sunny"}' }] },
          { role: "tool", content: [{ type: "tool_result", id: "call_1", name: "get_weather", result: "warm" }] },
        ],
        params: { temperature: 0.1, top_p: 0.8, max_tokens: 64, stop: ["END"] },
        tools: [WEATHER_TOOL],
        tool_choice: "auto",
      }),
    );
    const sent = await lastRecorded(m);
    expect([sent.path, sent.headers["x-goog-api-key"]]).toEqual([
      `/google/v1beta/models/${m}:generateContent`,
      "g-test",
    ]);
    expect(sent.body).toEqual({
      contents: [
        { role: "user", parts: [{ text: "weather in Paris?" }] },
        { role: "model", parts: [{ functionCall: { name: "get_weather", args: { city: "Paris" } } }] },
        {
          role: "user",
          parts: [
            { functionResponse: { name: "get_weather", response: { sky: "sunny" } } },
            { functionResponse: { name: "get_weather", response: { result: "warm" } } },
          ],
        },
      ],
      systemInstruction: { parts: [{ text: "be brief" }] },
      generationConfig: { temperature: 0.1, topP: 0.8, maxOutputTokens: 64, stopSequences: ["END"] },
      tools: [
        {
          functionDeclarations: [
            { name: "get_weather", description: "Weather for a city", parametersJsonSchema: WEATHER_TOOL.parameters },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: "AUTO" } },
    });
  });
});

describe("google provider: results", () => {
  it("should return text, usage from usageMetadata, and map STOP / MAX_TOKENS", async ({ expect }) => {
    const m = model();
    expect(await google().chat(chatReq(m))).toEqual({
      content: [{ type: "text", text: "echo: hello there world" }],
      usage: { input_tokens: 3, output_tokens: 4 },
      finish_reason: "stop",
      model: m,
    });
    const cut = await google().chat(chatReq(model(), { params: { max_tokens: 2 } }));
    expect(cut.finish_reason).toBe("length");
  });

  it("should stream with alt=sse until the connection closes, then usage and finish", async ({ expect }) => {
    const m = model();
    const chunks = await collect(google().chatStream(chatReq(m)));
    expect(textOf(chunks)).toBe("echo: hello there world");
    expect(chunks.slice(-2)).toEqual([
      { type: "usage", usage: { input_tokens: 3, output_tokens: 4 } },
      { type: "finish", finish_reason: "stop" },
    ]);
    const sent = await lastRecorded(m);
    expect([sent.path, sent.search]).toEqual([`/google/v1beta/models/${m}:streamGenerateContent`, "?alt=sse"]);
  });

  it("should return function calls as tool calls with finish tool_call even though Gemini says STOP", async ({
    expect,
  }) => {
    const req = () => chatReq(model("fake-tool"), { tools: [WEATHER_TOOL] });
    const result = await google().chat(req());
    expect(result.content).toEqual([
      { type: "tool_call", id: "call_0", name: "get_weather", arguments: '{"city":"hello there world","days":3}' },
    ]);
    expect(result.finish_reason).toBe("tool_call");
    const chunks = await collect(google().chatStream(req()));
    expect(chunks[0]).toEqual({
      type: "tool_call_delta",
      index: 0,
      id: "call_0",
      name: "get_weather",
      arguments_delta: '{"city":"hello there world","days":3}',
    });
    expect(chunks.at(-1)).toEqual({ type: "finish", finish_reason: "tool_call" });
  });

  it("should ask for JSON with responseMimeType and the schema as responseJsonSchema", async ({ expect }) => {
    const m = model();
    const result = await google().chat(
      chatReq(m, { json: { mode: "json_schema", name: "answer", schema: ANSWER_SCHEMA } }),
    );
    expect((await lastRecorded(m)).body.generationConfig).toEqual({
      responseMimeType: "application/json",
      responseJsonSchema: ANSWER_SCHEMA,
    });
    expect(JSON.parse(result.content[0]?.type === "text" ? result.content[0].text : "")).toEqual({
      answer: "hello there world",
      words: 3,
    });
  });

  it("should embed a batch with batchEmbedContents", async ({ expect }) => {
    const m = model();
    const result = await google().embed({ model: m, input: ["abc", "zz"], signal: AbortSignal.timeout(5000) });
    expect([result.embeddings.length, result.embeddings[0]?.[0], result.embeddings[1]?.[25]]).toEqual([2, 1, 2]);
    const sent = await lastRecorded(m);
    expect(sent.path).toBe(`/google/v1beta/models/${m}:batchEmbedContents`);
    expect(sent.body).toEqual({
      requests: [
        { model: `models/${m}`, content: { parts: [{ text: "abc" }] } },
        { model: `models/${m}`, content: { parts: [{ text: "zz" }] } },
      ],
    });
  });

  it("should report a blocked prompt as content_filter, not a failure", async ({ expect }) => {
    const result = await google().chat(chatReq(model("fake-blocked")));
    expect([result.content, result.finish_reason]).toEqual([[], "content_filter"]);
    expect((await collect(google().chatStream(chatReq(model("fake-blocked"))))).at(-1)).toEqual({
      type: "finish",
      finish_reason: "content_filter",
    });
  });
});

describe("google provider: failures", () => {
  it("should classify each upstream failure, reading RetryInfo from the body", async ({ expect }) => {
    const cases: [string, string, number | undefined][] = [
      ["fake-429", "rate_limited", 2000],
      ["fake-503", "overloaded", undefined],
      ["fake-500", "server", undefined],
      ["fake-401", "auth", undefined],
      ["fake-badkey", "auth", undefined],
      ["fake-402", "quota", undefined],
      ["fake-400", "bad_request", undefined],
      ["fake-context", "context_length", undefined],
    ];
    for (const [knob, kind, retryAfterMs] of cases) {
      const error = await failure(google().chat(chatReq(model(knob))));
      expect([knob, error.kind, error.retryAfterMs]).toEqual([knob, kind, retryAfterMs]);
    }
  });

  it("should fail a stream on an error frame after some deltas, and on a stream without finishReason", async ({
    expect,
  }) => {
    const { chunks, error } = await collectUntilError(google().chatStream(chatReq(model("fake-midstream-error"))));
    expect(textOf(chunks)).toBe("echo: hello");
    expect(error.kind).toBe("overloaded");
    expect((await collectUntilError(google().chatStream(chatReq(model("fake-truncated"))))).error.kind).toBe("stream");
  });

  it("should skip comment lines and time out a slow first token", async ({ expect }) => {
    expect(textOf(await collect(google().chatStream(chatReq(model("fake-keepalive")))))).toBe(
      "echo: hello there world",
    );
    const slow = await failure(
      collect(google().chatStream(chatReq(model("fake-slow-first-token-3000"), { signal: AbortSignal.timeout(200) }))),
    );
    expect(slow.kind).toBe("timeout");
  });
});
