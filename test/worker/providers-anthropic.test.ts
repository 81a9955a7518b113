/**
 * The `anthropic` provider against the fake Messages API: headers and body (top-level system, alternating
 * roles, tool_use/tool_result, required max_tokens), results, the SSE event sequence, tool calls, JSON mode
 * through the forced `json_output` tool, and failures (529/overloaded_error retryable, credit errors as quota).
 */
import { describe, it } from "vitest";
import { ANTHROPIC_VERSION, createAnthropicProvider } from "../../workers/models/providers/anthropic";
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
  textOf,
  user,
  WEATHER_TOOL,
} from "./provider-fixtures";

const anthropic = () =>
  createAnthropicProvider({ name: "anthropic", type: "anthropic", url: `${FAKE}/anthropic/v1`, apiKey: "sk-ant-test" });

describe("anthropic provider: request mapping", () => {
  it("should post /v1/messages with x-api-key, anthropic-version, top-level system and alternating roles", async ({
    expect,
  }) => {
    const m = model();
    await anthropic().chat(
      chatReq(m, {
        system: "be brief",
        messages: [
          { role: "system", content: [{ type: "text", text: "answer in English" }] },
          user("weather in Paris?"),
          user("and tomorrow?"),
          {
            role: "assistant",
            content: [
              { type: "text", text: "checking" },
              { type: "tool_call", id: "toolu_1", name: "get_weather", arguments: '{"city":"Paris"}' },
            ],
          },
          { role: "tool", content: [{ type: "tool_result", id: "toolu_1", result: "sunny" }] },
          user("thanks"),
        ],
        // Newer Claude models reject both: the fake does too, so this also proves top_p is dropped.
        params: { temperature: 0.3, top_p: 0.9, stop: ["END"] },
        tools: [WEATHER_TOOL],
        tool_choice: "required",
      }),
    );
    const sent = await lastRecorded(m);
    expect(sent.path).toBe("/anthropic/v1/messages");
    expect([sent.headers["x-api-key"], sent.headers["anthropic-version"]]).toEqual(["sk-ant-test", ANTHROPIC_VERSION]);
    expect(sent.body).toMatchObject({
      model: m,
      max_tokens: 4096,
      system: "be brief\n\nanswer in English",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "weather in Paris?" },
            { type: "text", text: "and tomorrow?" },
          ],
        },
        {
          role: "assistant",
          content: [
            { type: "text", text: "checking" },
            { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: "sunny" },
            { type: "text", text: "thanks" },
          ],
        },
      ],
      temperature: 0.3,
      stop_sequences: ["END"],
      tools: [{ name: "get_weather", description: "Weather for a city", input_schema: WEATHER_TOOL.parameters }],
      tool_choice: { type: "any" },
    });
    expect(sent.body.top_p).toBeUndefined();
  });
});

describe("anthropic provider: results", () => {
  it("should return text, usage and finish reason, and length when max_tokens cuts it", async ({ expect }) => {
    const m = model();
    expect(await anthropic().chat(chatReq(m))).toEqual({
      content: [{ type: "text", text: "echo: hello there world" }],
      usage: { input_tokens: 3, output_tokens: 4 },
      finish_reason: "stop",
      model: m,
    });
    const cut = await anthropic().chat(chatReq(model(), { params: { max_tokens: 2 } }));
    expect([cut.content, cut.finish_reason]).toEqual([[{ type: "text", text: "echo: hello" }], "length"]);
  });

  it("should stream the event sequence into deltas, usage from message_start and message_delta, and finish", async ({
    expect,
  }) => {
    const m = model();
    const chunks = await collect(anthropic().chatStream(chatReq(m)));
    expect(textOf(chunks)).toBe("echo: hello there world");
    expect(chunks.slice(-2)).toEqual([
      { type: "usage", usage: { input_tokens: 3, output_tokens: 4 } },
      { type: "finish", finish_reason: "stop" },
    ]);
    expect((await lastRecorded(m)).body.stream).toBe(true);
  });

  it("should return tool_use as tool calls, whole and streamed as input_json_delta", async ({ expect }) => {
    const req = () => chatReq(model("fake-tool"), { tools: [WEATHER_TOOL] });
    const result = await anthropic().chat(req());
    expect(result.content).toEqual([
      {
        type: "tool_call",
        id: "toolu_fake_1",
        name: "get_weather",
        arguments: '{"city":"hello there world","days":3}',
      },
    ]);
    expect(result.finish_reason).toBe("tool_call");
    const chunks = await collect(anthropic().chatStream(req()));
    expect(chunks.find((c) => c.type === "tool_call_delta")).toMatchObject({
      index: 0,
      id: "toolu_fake_1",
      name: "get_weather",
    });
    expect(JSON.parse(argumentsOf(chunks))).toEqual({ city: "hello there world", days: 3 });
    expect(chunks.at(-1)).toEqual({ type: "finish", finish_reason: "tool_call" });
  });

  it("should serve JSON mode through the forced json_output tool, as text", async ({ expect }) => {
    const m = model();
    const req = () => chatReq(m, { json: { mode: "json_schema", name: "answer", schema: ANSWER_SCHEMA } });
    const result = await anthropic().chat(req());
    const sent = await lastRecorded(m);
    expect(sent.body).toMatchObject({
      tools: [{ name: "json_output", input_schema: ANSWER_SCHEMA }],
      tool_choice: { type: "tool", name: "json_output" },
    });
    expect(result.finish_reason).toBe("stop");
    expect(JSON.parse(result.content[0]?.type === "text" ? result.content[0].text : "")).toEqual({
      answer: "hello there world",
      words: 3,
    });
    const chunks = await collect(anthropic().chatStream(req()));
    expect(JSON.parse(textOf(chunks))).toEqual({ answer: "hello there world", words: 3 });
    const free = await anthropic().chat(chatReq(model(), { json: { mode: "json_object" } }));
    expect(JSON.parse(free.content[0]?.type === "text" ? free.content[0].text : "")).toEqual({
      echo: "hello there world",
    });
  });

  it("should ask for JSON in the system prompt when the caller's own tools are present", async ({ expect }) => {
    const m = model();
    await anthropic().chat(chatReq(m, { tools: [WEATHER_TOOL], json: { mode: "json_object" } }));
    const sent = await lastRecorded(m);
    expect(sent.body.tools).toEqual([
      { name: "get_weather", description: "Weather for a city", input_schema: WEATHER_TOOL.parameters },
    ]);
    expect(sent.body.system).toContain("JSON");
  });
});

describe("anthropic provider: failures", () => {
  it("should classify each upstream failure", async ({ expect }) => {
    const cases: [string, string, number | undefined][] = [
      ["fake-529", "overloaded", undefined],
      ["fake-429", "rate_limited", 2000],
      ["fake-500", "server", undefined],
      ["fake-401", "auth", undefined],
      ["fake-403", "auth", undefined],
      ["fake-402", "quota", undefined],
      ["fake-quota", "quota", undefined],
      ["fake-400", "bad_request", undefined],
      ["fake-context", "context_length", undefined],
    ];
    for (const [knob, kind, retryAfterMs] of cases) {
      const error = await failure(anthropic().chat(chatReq(model(knob))));
      expect([knob, error.kind, error.retryAfterMs]).toEqual([knob, kind, retryAfterMs]);
    }
  });

  it("should turn an error event after some deltas into a retryable overloaded failure", async ({ expect }) => {
    const { chunks, error } = await collectUntilError(anthropic().chatStream(chatReq(model("fake-midstream-error"))));
    expect(textOf(chunks)).toBe("echo: hello");
    expect(error.kind).toBe("overloaded");
    const truncated = await collectUntilError(anthropic().chatStream(chatReq(model("fake-truncated"))));
    expect(truncated.error.kind).toBe("stream");
  });

  it("should ignore ping events and time out a slow first token", async ({ expect }) => {
    expect(textOf(await collect(anthropic().chatStream(chatReq(model("fake-keepalive")))))).toBe(
      "echo: hello there world",
    );
    const slow = await failure(
      collect(
        anthropic().chatStream(chatReq(model("fake-slow-first-token-3000"), { signal: AbortSignal.timeout(200) })),
      ),
    );
    expect(slow.kind).toBe("timeout");
  });

  it("should skip embeddings as unavailable: Anthropic has no embeddings API", async ({ expect }) => {
    const error = await failure(anthropic().embed({ model: "x", input: ["a"], signal: AbortSignal.timeout(1000) }));
    expect(error.kind).toBe("unavailable");
  });
});
