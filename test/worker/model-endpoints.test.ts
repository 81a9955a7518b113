/**
 * The model gateway end to end through the Worker's entry: a config stored through the admin route points
 * providers at local fakes that speak the real wire formats; `/inference` and `/openai/v1` fall back across
 * tiers, validate JSON output, stream, embed, log every inference, and answer 502 with every attempt when
 * all fail. The official `openai` SDK is used as a real client.
 */
import { env, exports } from "cloudflare:workers";
import OpenAI from "openai";
import { beforeAll, describe, it } from "vitest";
import { ADMIN, call, json, token } from "./helpers";

const FAKE = env.TEST_FAKE_UPSTREAMS_URL;

const TOML = `
[gateway]
bind_address = "0.0.0.0:3000"

[providers.openrouter]
type = "openai"
url = "${FAKE}/openai/v1"
api_key = "sk-or-test"

[providers.anthropic]
type = "anthropic"
url = "${FAKE}/anthropic/v1"
api_key = "sk-ant-test"

[providers.openai]
type = "openai"
url = "${FAKE}/openai/v1"
api_key = "sk-test"

# A provider whose key is wrong (every request 401s): it gets its own name, because a 401 marks the
# whole provider misconfigured for a while.
[providers.badkey]
type = "openai"
url = "${FAKE}/openai/v1"
api_key = "sk-wrong"

[models.plans-down]
provider = "openrouter"
model = "fake-529"

[models.claude]
provider = "anthropic"
model = "claude-echo"

[models.gpt]
provider = "openai"
model = "gpt-echo"

[models.broken-a]
provider = "openrouter"
model = "fake-500"

[models.broken-b]
provider = "badkey"
model = "fake-401"

[functions.chat]
type = "chat"

[functions.chat.variants.plans]
model = "models.plans-down"
weight = 1.0

[functions.chat.variants.cloud_anthropic]
model = "models.claude"
weight = 0.3

[functions.chat.variants.cloud_openai]
model = "models.gpt"
weight = 0.1

[functions.extract]
type = "json"
output_schema = { type = "object", properties = { name = { type = "string" } }, required = ["name"] }

[functions.extract.variants.gpt]
model = "models.gpt"

[functions.doomed]
type = "chat"

[functions.doomed.variants.first]
model = "models.broken-a"

[functions.doomed.variants.second]
model = "models.broken-b"

[metrics.task_success]
type = "boolean"
level = "inference"
optimize = "max"

[metrics.episode_score]
type = "float"
level = "episode"
optimize = "max"

[functions.embed]
type = "embedding"

[functions.embed.variants.remote]
provider = "openai"
model = "text-embedding-fake"
`;

const sdk = () =>
  new OpenAI({
    baseURL: "https://botplane.test/openai/v1",
    apiKey: "unused",
    defaultHeaders: { authorization: `Bearer ${authToken}` },
    fetch: (url: RequestInfo | URL, init?: RequestInit) =>
      exports.default.fetch(url instanceof Request ? url.url : String(url), init),
  });
let authToken = "";

describe("model gateway endpoints", () => {
  beforeAll(async () => {
    authToken = await token(["models:infer", "models:read"]);
    const res = await call("/api/v1/models/config", {
      method: "PUT",
      token: await ADMIN(),
      body: TOML,
      headers: { "content-type": "text/plain" },
    });
    if (res.status !== 200) throw new Error(`config: ${res.status} ${await res.text()}`);
  });

  it("should fall back from a failing tier to the next and answer in TensorZero's shape", async ({ expect }) => {
    const res = await call("/inference", {
      token: authToken,
      body: {
        function_name: "chat",
        input: { system: "be brief", messages: [{ role: "user", content: "hello gateway" }] },
      },
    });
    expect(res.status).toBe(200);
    const body = await json<{
      inference_id: string;
      episode_id: string;
      variant_name: string;
      content: { type: string; text: string }[];
      usage: { input_tokens: number };
      finish_reason: string;
    }>(res);
    expect(body.variant_name).toBe("cloud_anthropic");
    expect(body.content).toEqual([{ type: "text", text: "echo: hello gateway" }]);
    expect(body.inference_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(body.usage.input_tokens).toBeGreaterThan(0);
    expect(res.headers.get("server-timing")).toMatch(/upstream;dur=\d+/);
    await expect
      .poll(
        async () =>
          (await env.DB.prepare("SELECT variant_name, status FROM inferences WHERE id = ?")
            .bind(body.inference_id)
            .first()) ?? null,
        { timeout: 10_000 },
      )
      .toEqual({ variant_name: "cloud_anthropic", status: "ok" });
  });

  it("should validate a JSON function's output and return raw and parsed", async ({ expect }) => {
    const res = await call("/inference", {
      token: authToken,
      body: { function_name: "extract", input: { messages: [{ role: "user", content: "Ada" }] } },
    });
    expect(res.status).toBe(200);
    const body = await json<{ output: { raw: string; parsed: { name: string } } }>(res);
    expect(JSON.parse(body.output.raw)).toEqual(body.output.parsed);
    expect(typeof body.output.parsed.name).toBe("string");
  });

  it("should answer 502 naming every attempt when all variants fail", async ({ expect }) => {
    const res = await call("/inference", {
      token: authToken,
      body: { function_name: "doomed", input: { messages: [{ role: "user", content: "x" }] } },
    });
    expect(res.status).toBe(502);
    const body = await json<{
      error: { details: { attempts: { variant: string; provider: string; status: string }[] } };
    }>(res);
    expect(body.error.details.attempts.map((a) => `${a.variant}:${a.provider}:${a.status}`)).toEqual([
      "first:openrouter:server",
      "second:badkey:auth",
    ]);
    // The wrong key is announced on the bus as an ERROR event.
    await expect
      .poll(
        async () => {
          const page = await json<{ events: { payload: { context: Record<string, string> } }[] }>(
            await call("/api/v1/events?type=ERROR&order=desc&limit=200", { token: await ADMIN() }),
          );
          return page.events.some(
            (e) => e.payload.context.provider === "badkey" && e.payload.context.error_type === "provider_misconfigured",
          );
        },
        { timeout: 10_000 },
      )
      .toBe(true);
  });

  it("should stream TensorZero SSE frames ending with usage and [DONE]", async ({ expect }) => {
    const res = await call("/inference", {
      token: authToken,
      body: { function_name: "chat", stream: true, input: { messages: [{ role: "user", content: "one two three" }] } },
    });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const frames = (await res.text())
      .split("\n\n")
      .filter(Boolean)
      .map((f) => f.replace(/^data: /, ""));
    expect(frames.at(-1)).toBe("[DONE]");
    const parsed = frames
      .slice(0, -1)
      .map((f) => JSON.parse(f) as { content?: { text: string }[]; usage?: { output_tokens: number } });
    expect(parsed.flatMap((p) => p.content?.map((c) => c.text) ?? []).join("")).toContain("one two three");
    expect(parsed.at(-1)?.usage?.output_tokens).toBeGreaterThan(0);
    expect((parsed.at(-1) as { timings?: { ttft_ms?: number } }).timings?.ttft_ms).toBeTypeOf("number");
    const openai = await call("/openai/v1/chat/completions", {
      token: authToken,
      body: { model: "tensorzero::function_name::chat", stream: true, messages: [{ role: "user", content: "a b" }] },
    });
    const chunks = (await openai.text())
      .split("\n\n")
      .filter((f) => f && f !== "data: [DONE]")
      .map((f) => JSON.parse(f.replace(/^data: /, "")) as Record<string, unknown>);
    expect(chunks.at(-1)?.["tensorzero::timings"]).toMatchObject({ ttft_ms: expect.any(Number) as unknown });
  });

  it("should serve the official OpenAI SDK: chat, streaming with usage, embeddings, models", async ({ expect }) => {
    const client = sdk();
    const completion = await client.chat.completions.create({
      model: "tensorzero::function_name::chat",
      messages: [{ role: "user", content: "hi sdk" }],
    });
    expect(completion.choices[0]?.message.content).toBe("echo: hi sdk");
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);

    const stream = await client.chat.completions.create({
      model: "tensorzero::function_name::chat",
      messages: [{ role: "user", content: "stream me please" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: number | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage.total_tokens;
    }
    expect(text).toBe("echo: stream me please");
    expect(usage).toBeGreaterThan(0);

    const embedded = await client.embeddings.create({
      model: "tensorzero::embedding_model_name::embed",
      input: ["abc", "abd"],
    });
    expect(embedded.data).toHaveLength(2);
    expect(embedded.data[0]?.embedding).toHaveLength(26);

    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(
      expect.arrayContaining(["tensorzero::function_name::chat", "tensorzero::embedding_model_name::embed"]),
    );
  });

  it("should log inferences and take feedback on them and on their episode", async ({ expect }) => {
    const episode = crypto.randomUUID();
    const res = await call("/inference", {
      token: authToken,
      body: {
        function_name: "chat",
        episode_id: episode,
        tags: { user: "ada" },
        input: { messages: [{ role: "user", content: "log me" }] },
      },
    });
    const { inference_id } = await json<{ inference_id: string }>(res);
    const reader = await token(["models:read", "models:feedback"]);
    await expect
      .poll(async () => (await call(`/inferences/${inference_id}`, { token: reader })).status, { timeout: 10_000 })
      .toBe(200);
    const fb = await call("/feedback", {
      token: reader,
      body: { metric_name: "task_success", inference_id, value: true },
    });
    expect(fb.status).toBe(200);
    const episodeFb = await call("/feedback", {
      token: reader,
      body: { metric_name: "episode_score", episode_id: episode, value: 0.8 },
    });
    expect(episodeFb.status).toBe(200);
    const one = await json<{
      variant_name: string;
      provider: string;
      tags: Record<string, string>;
      attempts: { status: string }[];
      feedback: { metric_name: string; value: unknown }[];
    }>(await call(`/inferences/${inference_id}`, { token: reader }));
    expect(one).toMatchObject({
      variant_name: "cloud_anthropic",
      provider: "anthropic",
      tags: { user: "ada" },
      feedback: [{ metric_name: "task_success", value: true }],
    });
    expect(one.attempts.map((a) => a.status)).toEqual(expect.arrayContaining(["ok"]));
    const ep = await json<{ inferences: { inference_id: string }[]; feedback: { value: unknown }[] }>(
      await call(`/episodes/${episode}`, { token: reader }),
    );
    expect(ep.inferences.map((i) => i.inference_id)).toEqual([inference_id]);
    expect(ep.feedback.map((f) => f.value)).toEqual([0.8]);
    const list = await json<{ inferences: { function_name: string }[] }>(
      await call("/inferences?function_name=chat&limit=5", { token: reader }),
    );
    expect(list.inferences.length).toBeGreaterThan(0);
    const wrongType = await call("/feedback", {
      token: reader,
      body: { metric_name: "task_success", inference_id, value: 3 },
    });
    expect((await json<{ error: { message: string } }>(wrongType)).error.message).toContain("body.value");
    const unknownMetric = await call("/feedback", {
      token: reader,
      body: { metric_name: "nope", inference_id, value: true },
    });
    expect(unknownMetric.status).toBe(400);
    const wrongLevel = await call("/feedback", {
      token: reader,
      body: { metric_name: "episode_score", inference_id, value: 1 },
    });
    expect((await json<{ error: { message: string } }>(wrongLevel)).error.message).toContain("body.inference_id");
  });

  it("should pass unknown request fields through and reject bad known ones naming the field", async ({ expect }) => {
    const ok = await call("/openai/v1/chat/completions", {
      token: authToken,
      body: {
        model: "tensorzero::function_name::chat",
        messages: [{ role: "user", content: "x" }],
        some_future_field: { a: 1 },
      },
    });
    expect(ok.status).toBe(200);
    const bad = await call("/openai/v1/chat/completions", {
      token: authToken,
      body: { model: "tensorzero::function_name::chat", messages: [{ role: "user", content: "x" }], temperature: 9 },
    });
    expect(bad.status).toBe(400);
    expect((await json<{ error: { message: string } }>(bad)).error.message).toContain("body.temperature");
    const unknown = await call("/inference", {
      token: authToken,
      body: { function_name: "nope", input: { messages: [] } },
    });
    expect(unknown.status).toBe(404);
  });
});

describe("inference cache", () => {
  it("should serve an identical request from the cache, and a stale answer when every provider fails", async ({
    expect,
  }) => {
    const auth = await token(["models:infer"]);
    const ask = () =>
      call("/inference", {
        token: auth,
        body: {
          function_name: "chat",
          cache_options: { enabled: "on" },
          input: { messages: [{ role: "user", content: "cache this answer" }] },
        },
      });
    const first = await ask();
    expect(first.headers.get("x-botplane-cache")).toBe("miss");
    const firstBody = await json<{ content: unknown }>(first);
    await expect.poll(async () => (await ask()).headers.get("x-botplane-cache"), { timeout: 5000 }).toBe("hit");
    const hit = await json<{ content: unknown }>(await ask());
    expect(hit.content).toEqual(firstBody.content);

    // Every variant of `chat` now points at a failing model: the cached answer is served, marked stale.
    const broken = TOML.replace('model = "claude-echo"', 'model = "fake-500"').replace(
      'model = "gpt-echo"',
      'model = "fake-503"',
    );
    expect(
      (
        await call("/api/v1/models/config", {
          method: "PUT",
          token: await ADMIN(),
          body: broken,
          headers: { "content-type": "text/plain" },
        })
      ).status,
    ).toBe(200);
    const stale = await call("/inference", {
      token: auth,
      body: {
        function_name: "chat",
        cache_options: { enabled: "write_only" },
        input: { messages: [{ role: "user", content: "cache this answer" }] },
      },
    });
    // write_only skips the fresh read, so the gateway tries the providers, which all fail.
    expect(stale.status).toBe(200);
    expect(stale.headers.get("x-botplane-cache")).toBe("stale");
    expect((await json<{ content: unknown }>(stale)).content).toEqual(firstBody.content);
    const uncached = await call("/inference", {
      token: auth,
      body: { function_name: "chat", input: { messages: [{ role: "user", content: "never cached" }] } },
    });
    expect(uncached.status).toBe(502);
    await call("/api/v1/models/config", {
      method: "PUT",
      token: await ADMIN(),
      body: TOML,
      headers: { "content-type": "text/plain" },
    });
  });
});
