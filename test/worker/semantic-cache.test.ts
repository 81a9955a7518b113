/**
 * The opt-in semantic cache through `POST /inference`: a config stored through the admin route gives
 * functions a `semantic_threshold` and points `[functions.embed]` at the fake upstream, whose embeddings are
 * 26-dim letter counts (so rephrasings of one question have cosine ≈ 0.97–0.99, other questions ≈ 0.5–0.9).
 */
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, it } from "vitest";
import { ADMIN, call, json, token } from "./helpers";

const FAKE = env.TEST_FAKE_UPSTREAMS_URL;

function config(embedModel: string): string {
  return `
[providers.openai]
type = "openai"
url = "${FAKE}/openai/v1"
api_key = "sk-test"

# The embedder has its own provider name so its failures (and breaker) never touch the chat provider.
[providers.embedder]
type = "openai"
url = "${FAKE}/openai/v1"
api_key = "sk-test"

[models.gpt]
provider = "openai"
model = "gpt-echo"

[functions.research]
type = "chat"
cache = { semantic_threshold = 0.95, semantic_ttl_s = 3600 }

[functions.research.variants.gpt]
model = "models.gpt"

[functions.strict]
type = "chat"
cache = { semantic_threshold = 0.99 }

[functions.strict.variants.gpt]
model = "models.gpt"

[functions.expiring]
type = "chat"
cache = { semantic_threshold = 0.95, semantic_ttl_s = 60 }

[functions.expiring.variants.gpt]
model = "models.gpt"

[functions.embed]
type = "embedding"

[functions.embed.variants.remote]
provider = "embedder"
model = "${embedModel}"
`;
}

let auth = "";

async function storeConfig(toml: string): Promise<void> {
  const res = await call("/api/v1/models/config", {
    method: "PUT",
    token: await ADMIN(),
    body: toml,
    headers: { "content-type": "text/plain" },
  });
  if (res.status !== 200) throw new Error(`config: ${res.status} ${await res.text()}`);
}

interface Answer {
  status: number;
  cache: string | null;
  inferenceId: string;
  text: string;
}

async function ask(fn: string, input: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<Answer> {
  const res = await call("/inference", { token: auth, body: { function_name: fn, input, ...extra } });
  const body = await json<{ inference_id: string; content?: { text: string }[] }>(res);
  return {
    status: res.status,
    cache: res.headers.get("x-botplane-cache"),
    inferenceId: body.inference_id,
    text: body.content?.map((c) => c.text).join("") ?? "",
  };
}

const single = (text: string, system?: string) => ({
  ...(system ? { system } : {}),
  messages: [{ role: "user", content: text }],
});

/** Semantic entries are written from waitUntil: wait until the one answering `text` has landed. */
function semanticEntries(fn: string, text: string): Promise<number> {
  return env.DB.prepare(
    "SELECT COUNT(*) AS n FROM inference_cache WHERE function_name = ? AND embedding IS NOT NULL AND instr(response, ?) > 0",
  )
    .bind(fn, `echo: ${text}`)
    .first<{ n: number }>()
    .then((r) => r?.n ?? 0);
}

describe("semantic inference cache", () => {
  beforeAll(async () => {
    auth = await token(["models:infer"]);
    await storeConfig(config("text-embedding-fake"));
  });

  it("should serve a similar single-turn question from the semantic cache and log it as semantic", async ({
    expect,
  }) => {
    const first = await ask("research", single("What is the capital city of France?"));
    expect(first).toMatchObject({ status: 200, cache: "miss", text: "echo: What is the capital city of France?" });
    await expect
      .poll(() => semanticEntries("research", "What is the capital city of France?"), { timeout: 5000 })
      .toBe(1);

    const similar = await ask("research", single("what's the capital city of france"));
    expect(similar.status).toBe(200);
    expect(similar.cache).toBe("semantic");
    expect(similar.text).toBe(first.text);
    expect(similar.inferenceId).not.toBe(first.inferenceId);
    await expect
      .poll(
        async () =>
          (
            await env.DB.prepare("SELECT cache FROM inferences WHERE id = ?")
              .bind(similar.inferenceId)
              .first<{ cache: string }>()
          )?.cache ?? null,
        { timeout: 10_000 },
      )
      .toBe("semantic");
  });

  it("should miss for a dissimilar question and answer it from the provider", async ({ expect }) => {
    const other = await ask("research", single("zebras juggle xylophones quickly"));
    expect(other).toMatchObject({ status: 200, cache: "miss", text: "echo: zebras juggle xylophones quickly" });
  });

  it("should miss when the similarity is below the function's threshold", async ({ expect }) => {
    const first = await ask("strict", single("What is the capital city of Italy?"));
    expect(first.cache).toBe("miss");
    await expect.poll(() => semanticEntries("strict", "What is the capital city of Italy?"), { timeout: 5000 }).toBe(1);
    // Cosine ≈ 0.97: a hit at research's 0.95, a miss at strict's 0.99.
    const rephrased = await ask("strict", single("Which is the capital city of Italy?"));
    expect(rephrased).toMatchObject({ cache: "miss", text: "echo: Which is the capital city of Italy?" });
    const near = await ask("strict", single("what is the capital city of italy"));
    expect(near).toMatchObject({ cache: "semantic", text: first.text });
  });

  it("should skip multi-turn requests, requests with caching turned off, and other system prompts", async ({
    expect,
  }) => {
    const text = "What is the capital city of France?";
    await expect.poll(() => semanticEntries("research", text), { timeout: 5000 }).toBe(1);
    const multi = await ask("research", {
      messages: [
        { role: "user", content: text },
        { role: "assistant", content: "Paris" },
        { role: "user", content: text },
      ],
    });
    expect(multi).toMatchObject({ status: 200, cache: "off", text: `echo: ${text}` });
    const off = await ask("research", single(text), { cache_options: { enabled: "off" } });
    expect(off.cache).toBe("off");
    const otherSystem = await ask("research", single(text, "answer in French"));
    expect(otherSystem.cache).toBe("miss");
    const same = await ask("research", single(text));
    expect(same.cache).toBe("semantic");
  });

  it("should ignore expired entries", async ({ expect }) => {
    const first = await ask("expiring", single("How many moons does Jupiter have?"));
    expect(first.cache).toBe("miss");
    await expect
      .poll(() => semanticEntries("expiring", "How many moons does Jupiter have?"), { timeout: 5000 })
      .toBe(1);
    expect((await ask("expiring", single("how many moons does jupiter have"))).cache).toBe("semantic");

    await env.DB.prepare("UPDATE inference_cache SET expires_at = ? WHERE function_name = 'expiring'")
      .bind(Date.now() - 1000)
      .run();
    const after = await ask("expiring", single("how many moons does jupiter have"));
    expect(after).toMatchObject({ cache: "miss", text: "echo: how many moons does jupiter have" });
  });

  describe("when the embedding provider fails", () => {
    beforeAll(() => storeConfig(config("fake-500")));
    afterAll(() => storeConfig(config("text-embedding-fake")));

    it("should still answer normally and cache nothing semantically", async ({ expect }) => {
      const text = "What is the capital city of France, please?";
      const res = await ask("research", single(text));
      expect(res).toMatchObject({ status: 200, cache: "miss", text: `echo: ${text}` });
      // An entry it would otherwise have served: the lookup is skipped, not failed.
      const similar = await ask("research", single("what's the capital city of france"));
      expect(similar).toMatchObject({ status: 200, cache: "miss", text: "echo: what's the capital city of france" });
      // Writes run from waitUntil, like the inference log: once its row is in, a semantic write would be too.
      await expect
        .poll(
          async () =>
            (
              await env.DB.prepare("SELECT status FROM inferences WHERE id = ?")
                .bind(res.inferenceId)
                .first<{ status: string }>()
            )?.status ?? null,
          { timeout: 10_000 },
        )
        .toBe("ok");
      expect(await semanticEntries("research", text)).toBe(0);
    });
  });
});
