/**
 * The `cloudflare` (Workers AI) provider: unconfigured → "unavailable" at once with no request; the REST
 * `/ai/v1` surface against the fake (chat, stream, embeddings, Workers AI error codes); and the `env.AI`
 * binding through a stub — the real binding is never touched (it is not bound in wrangler.toml on purpose).
 */
import { describe, it } from "vitest";
import type { AiRunner } from "../../workers/models/providers/cloudflare-binding";
import { cloudflareRestUrl, createCloudflareProvider } from "../../workers/models/providers/cloudflare";
import type { ProviderSettings } from "../../workers/models/types";
import {
  chatReq,
  collect,
  collectUntilError,
  FAKE,
  failure,
  lastRecorded,
  model,
  recorded,
  textOf,
  WEATHER_TOOL,
} from "./provider-fixtures";

const REST: ProviderSettings = {
  name: "cloudflare",
  type: "cloudflare",
  url: `${FAKE}/cf/client/v4/accounts/acc/ai/v1`,
  apiKey: "cf-token",
};

/** A stand-in for `env.AI` that records what it was asked and answers like Workers AI does. */
function stubAi(answer: (model: string, inputs: Record<string, unknown>) => unknown) {
  const calls: { model: string; inputs: Record<string, unknown> }[] = [];
  const ai: AiRunner = {
    run(modelName, inputs) {
      calls.push({ model: modelName, inputs });
      return Promise.resolve().then(() => answer(modelName, inputs));
    },
  };
  return { env: { AI: ai as unknown as Ai }, calls };
}

function sse(frames: string[]): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const frame of frames) controller.enqueue(bytes.encode(frame));
      controller.close();
    },
  });
}

describe("cloudflare provider: not configured", () => {
  it("should fail every call as unavailable at once, sending nothing", async ({ expect }) => {
    const m = model();
    const provider = createCloudflareProvider({ name: "cloudflare", type: "cloudflare", url: REST.url }, {});
    const errors = [
      await failure(provider.chat(chatReq(m))),
      await failure(collect(provider.chatStream(chatReq(m)))),
      await failure(provider.embed({ model: m, input: ["a"], signal: AbortSignal.timeout(1000) })),
    ];
    expect(errors.map((e) => e.kind)).toEqual(["unavailable", "unavailable", "unavailable"]);
    expect(await recorded(m)).toEqual([]);
  });
});

describe("cloudflare provider: REST /ai/v1", () => {
  it("should chat, stream and embed through the OpenAI-compatible routes with the API token", async ({ expect }) => {
    const provider = createCloudflareProvider(REST, {});
    const m = model();
    const result = await provider.chat(chatReq(m));
    expect([result.content, result.usage, result.finish_reason]).toEqual([
      [{ type: "text", text: "echo: hello there world" }],
      { input_tokens: 3, output_tokens: 4 },
      "stop",
    ]);
    const sent = await lastRecorded(m);
    expect([sent.path, sent.headers.authorization]).toEqual([
      "/cf/client/v4/accounts/acc/ai/v1/chat/completions",
      "Bearer cf-token",
    ]);
    const chunks = await collect(provider.chatStream(chatReq(model())));
    expect([textOf(chunks), chunks.at(-1)]).toEqual([
      "echo: hello there world",
      { type: "finish", finish_reason: "stop" },
    ]);
    const e = model();
    const embedded = await provider.embed({ model: e, input: ["abc"], signal: AbortSignal.timeout(5000) });
    expect([embedded.embeddings.length, embedded.embeddings[0]?.[0]]).toEqual([1, 1]);
    expect((await lastRecorded(e)).path).toBe("/cf/client/v4/accounts/acc/ai/v1/embeddings");
  });

  it("should build the REST URL from the account id when no url is configured", ({ expect }) => {
    expect(cloudflareRestUrl("abc123")).toBe("https://api.cloudflare.com/client/v4/accounts/abc123/ai/v1");
    expect(
      createCloudflareProvider({ name: "cf", type: "cloudflare", accountId: "abc123", apiKey: "t" }, {}).type,
    ).toBe("cloudflare");
  });

  it("should classify Workers AI's error envelope: 3036 as quota, 3040 as rate limited, 401 as auth", async ({
    expect,
  }) => {
    const provider = createCloudflareProvider(REST, {});
    const kinds = [];
    for (const knob of ["fake-quota", "fake-429", "fake-401", "fake-500"])
      kinds.push((await failure(provider.chat(chatReq(model(knob))))).kind);
    expect(kinds).toEqual(["quota", "rate_limited", "auth", "server"]);
  });
});

describe("cloudflare provider: env.AI binding", () => {
  it("should prefer the binding, map the request to its inputs and read the classic output", async ({ expect }) => {
    const { env, calls } = stubAi(() => ({ response: "hi there", usage: { prompt_tokens: 5, completion_tokens: 2 } }));
    const provider = createCloudflareProvider(REST, env);
    const m = model();
    const result = await provider.chat(
      chatReq(m, { system: "be brief", params: { max_tokens: 10, temperature: 0.5 }, tools: [WEATHER_TOOL] }),
    );
    expect(result).toEqual({
      content: [{ type: "text", text: "hi there" }],
      usage: { input_tokens: 5, output_tokens: 2 },
      finish_reason: "stop",
    });
    expect(calls[0]).toMatchObject({
      model: m,
      inputs: {
        messages: [
          { role: "system", content: "be brief" },
          { role: "user", content: "hello there world" },
        ],
        max_tokens: 10,
        temperature: 0.5,
        tools: [{ type: "function", function: { name: "get_weather", parameters: WEATHER_TOOL.parameters } }],
      },
    });
    expect(await recorded(m)).toEqual([]);
  });

  it("should read tool calls, JSON-mode objects and newer OpenAI-shaped outputs", async ({ expect }) => {
    const tool = stubAi(() => ({ response: "", tool_calls: [{ name: "get_weather", arguments: { city: "Oslo" } }] }));
    expect(await createCloudflareProvider(REST, tool.env).chat(chatReq("m", { tools: [WEATHER_TOOL] }))).toMatchObject({
      content: [{ type: "tool_call", id: "call_0", name: "get_weather", arguments: '{"city":"Oslo"}' }],
      finish_reason: "tool_call",
    });
    const json = stubAi(() => ({ response: { answer: "yes" } }));
    const jsonResult = await createCloudflareProvider(REST, json.env).chat(
      chatReq("m", { json: { mode: "json_object" } }),
    );
    expect(jsonResult.content).toEqual([{ type: "text", text: '{"answer":"yes"}' }]);
    expect(json.calls[0]?.inputs.response_format).toEqual({ type: "json_object" });
    const modern = stubAi(() => ({
      choices: [{ message: { content: "hey" }, finish_reason: "length" }],
      usage: { prompt_tokens: 1, completion_tokens: 1 },
    }));
    expect(await createCloudflareProvider(REST, modern.env).chat(chatReq("m"))).toMatchObject({
      content: [{ type: "text", text: "hey" }],
      finish_reason: "length",
    });
  });

  it("should stream the binding's SSE, and answer JSON mode once since it cannot stream", async ({ expect }) => {
    const { env, calls } = stubAi((_m, inputs) =>
      inputs.stream === true
        ? sse([
            'data: {"response":"he',
            'llo"}\n\n',
            'data: {"response":" you"}\n\n',
            'data: {"response":"","usage":{"prompt_tokens":3,"completion_tokens":2}}\n\n',
            "data: [DONE]\n\n",
          ])
        : { response: { ok: true } },
    );
    const provider = createCloudflareProvider(REST, env);
    const chunks = await collect(provider.chatStream(chatReq("m")));
    expect(chunks).toEqual([
      { type: "text_delta", text: "hello" },
      { type: "text_delta", text: " you" },
      { type: "usage", usage: { input_tokens: 3, output_tokens: 2 } },
      { type: "finish", finish_reason: "stop" },
    ]);
    const jsonChunks = await collect(provider.chatStream(chatReq("m", { json: { mode: "json_object" } })));
    expect(textOf(jsonChunks)).toBe('{"ok":true}');
    expect(calls[1]?.inputs.stream).toBeUndefined();
  });

  it("should embed through the binding and classify its thrown errors", async ({ expect }) => {
    const embedder = stubAi(() => ({
      shape: [2, 3],
      data: [
        [1, 2, 3],
        [4, 5, 6],
      ],
    }));
    const embedded = await createCloudflareProvider(REST, embedder.env).embed({
      model: "@cf/baai/bge-small-en-v1.5",
      input: ["a", "b"],
      signal: AbortSignal.timeout(1000),
    });
    expect([embedded.embeddings, embedder.calls[0]?.inputs]).toEqual([
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { text: ["a", "b"] },
    ]);
    const kinds = [];
    for (const message of ["3036: Account limited", "3040: Capacity temporarily exceeded", "5007: No such model"]) {
      const failing = stubAi(() => Promise.reject(new Error(message)));
      kinds.push((await failure(createCloudflareProvider(REST, failing.env).chat(chatReq("m")))).kind);
    }
    expect(kinds).toEqual(["quota", "overloaded", "server"]);
    const hanging = stubAi(() => new Promise(() => undefined));
    expect(
      (
        await failure(
          createCloudflareProvider(REST, hanging.env).chat(chatReq("m", { signal: AbortSignal.timeout(50) })),
        )
      ).kind,
    ).toBe("timeout");
    const truncated = stubAi(() => sse(['data: {"response":"x"}\n\n']));
    expect(
      (await collectUntilError(createCloudflareProvider(REST, truncated.env).chatStream(chatReq("m")))).error.kind,
    ).toBe("stream");
  });
});
