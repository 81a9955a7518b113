/**
 * The model gateway's configuration: the seed's tensorzero.toml parsed verbatim, `${env.NAME}` interpolation,
 * disabled providers, edge rerouting, tiers, variant planning (tier order, explicit order, weighted
 * sampling), errors naming the key, source precedence (D1 > GATEWAY_CONFIG > bundled), and the config routes.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { BUNDLED_TOML } from "../../workers/models/config/bundled-config";
import { gatewayHealth, gatewayHealthCheck } from "../../workers/models/config/health";
import { parseGatewayConfig } from "../../workers/models/config/load";
import { planModel, planVariants, resolveModel } from "../../workers/models/config/plan";
import { clearConfigCache, loadGatewayConfig } from "../../workers/models/config/source";
import { storeConfig } from "../../workers/models/config/store";
import type { GatewayConfig } from "../../workers/models/config/types";
import { ADMIN, call, json, token } from "./helpers";

const ALL_KEYS = {
  CF_ACCOUNT_ID: "acct-123",
  CF_API_TOKEN: "cf-token",
  OPENROUTER_API_KEY: "or-key",
  GLM_API_KEY: "glm-key",
  GOOGLE_API_KEY: "g-key",
  ANTHROPIC_API_KEY: "a-key",
  OPENAI_API_KEY: "o-key",
};

function parsed(text: string, vars: Record<string, unknown> = ALL_KEYS): GatewayConfig {
  const result = parseGatewayConfig(text, vars);
  if (!result.ok) throw new Error(`expected a valid config, got: ${result.error}`);
  return result.config;
}

function errorOf(text: string, vars: Record<string, unknown> = ALL_KEYS): string {
  const result = parseGatewayConfig(text, vars);
  if (result.ok) throw new Error("expected an invalid config");
  return result.error;
}

/** Deterministic uniform [0, 1) (mulberry32), so the statistical test cannot flake. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const fn = (config: GatewayConfig, name: string) => {
  const f = config.functions.get(name);
  if (!f) throw new Error(`no function ${name}`);
  return f;
};
const order = (config: GatewayConfig, name: string, random = Math.random) =>
  planVariants(fn(config, name), config, { random }).attempts.map((a) => a.variant);

const TWO_PROVIDERS = `
[providers.ollama]
type = "ollama"
url = "http://127.0.0.1:11434"
[providers.openai]
type = "openai"
api_key = "\${env.OPENAI_API_KEY}"
[models.small]
provider = "ollama"
model = "qwen2.5:0.5b"
[models.big]
provider = "openai"
model = "gpt-4o"
`;

describe("the seed's tensorzero.toml (bundled)", () => {
  it("should parse verbatim: providers, models, weighted variants and the inline-provider embed variant", ({
    expect,
  }) => {
    const config = parsed(BUNDLED_TOML);
    expect([...config.providers.keys()]).toEqual([
      "ollama",
      "cloudflare",
      "openrouter",
      "glm",
      "google_gemini",
      "anthropic",
      "openai",
    ]);
    expect([...config.models.values()].map((m) => `${m.name}=${m.provider}/${m.model}`)).toEqual([
      "qwen-local=ollama/qwen2.5:32b",
      "llama-cf=cloudflare/@cf/meta/llama-3-8b-instruct",
      "gemini-pro=google_gemini/gemini-1.5-pro",
      "claude-sonnet=anthropic/claude-3-5-sonnet-20240620",
      "gpt-4o=openai/gpt-4o",
    ]);
    const chat = fn(config, "chat");
    expect(chat.type).toBe("chat");
    expect(chat.variants.map((v) => [v.name, v.weight, v.modelName])).toEqual([
      ["local", 1, "qwen-local"],
      ["free_tier", 0.5, "llama-cf"],
      ["cloud_gemini", 0.4, "gemini-pro"],
      ["cloud_anthropic", 0.3, "claude-sonnet"],
      ["cloud_openai", 0.1, "gpt-4o"],
    ]);
    const embed = fn(config, "embed");
    expect(embed.type).toBe("embedding");
    expect(embed.variants).toMatchObject([
      { name: "local_embed", provider: "ollama", model: "qwen3-embedding:4b", tier: "local" },
    ]);
  });

  it("should ignore [gateway] bind_address with a warning", ({ expect }) => {
    const config = parsed(BUNDLED_TOML);
    expect(config.warnings).toContain("gateway: block not used by botplane (bind_address); ignored");
  });

  it("should keep ${env.NAME} references in the bundled text for interpolation", ({ expect }) => {
    expect(BUNDLED_TOML).toContain('api_key = "${env.CF_API_TOKEN}"');
    expect(BUNDLED_TOML).toContain(
      '[functions.chat]\ntype = "chat"\nvariants = ["local", "free_tier", "cloud_gemini", "cloud_anthropic", "cloud_openai"]',
    );
  });
});

describe("${env.NAME} interpolation", () => {
  it("should interpolate vars into urls and keys and derive the Cloudflare account id", ({ expect }) => {
    const cf = parsed(BUNDLED_TOML).providers.get("cloudflare");
    expect(cf).toMatchObject({
      url: "https://api.cloudflare.com/client/v4/accounts/acct-123/ai/v1",
      apiKey: "cf-token",
      accountId: "acct-123",
      enabled: true,
    });
  });

  it("should disable (not reject) a provider whose variable is unset or empty, with the reason", ({ expect }) => {
    const config = parsed(BUNDLED_TOML, { ...ALL_KEYS, CF_API_TOKEN: undefined, ANTHROPIC_API_KEY: "" });
    expect(config.providers.get("cloudflare")).toMatchObject({
      enabled: false,
      disabledReason: "CF_API_TOKEN is not set",
    });
    expect(config.providers.get("anthropic")).toMatchObject({
      enabled: false,
      disabledReason: "ANTHROPIC_API_KEY is not set",
    });
    expect(config.providers.get("openai")?.enabled).toBe(true);
    const none = parsed(BUNDLED_TOML, {});
    expect(none.providers.get("cloudflare")?.disabledReason).toBe("CF_ACCOUNT_ID, CF_API_TOKEN are not set");
  });

  it("should enable Cloudflare through the Workers AI binding without any credential", ({ expect }) => {
    const cf = parsed(BUNDLED_TOML, { AI: {} }).providers.get("cloudflare");
    expect(cf).toMatchObject({ enabled: true, transport: "binding" });
  });

  it("should reject an unset variable outside [providers], naming the key", ({ expect }) => {
    expect(errorOf(`${TWO_PROVIDERS}\n[models.m]\nprovider = "ollama"\nmodel = "\${env.LOCAL_MODEL}"\n`)).toBe(
      "models.m.model: LOCAL_MODEL is not set",
    );
  });
});

describe("OLLAMA_EDGE_DEVICE", () => {
  it("should reroute the seed's host.docker.internal Ollama to the edge:<device> transport", ({ expect }) => {
    const ollama = parsed(BUNDLED_TOML, { ...ALL_KEYS, OLLAMA_EDGE_DEVICE: "pi-kitchen" }).providers.get("ollama");
    expect(ollama).toMatchObject({
      edgeDevice: "pi-kitchen",
      transport: "edge:pi-kitchen",
      url: undefined,
      enabled: true,
    });
  });

  it("should leave the direct URL, with a warning, when no device is set", ({ expect }) => {
    const config = parsed(BUNDLED_TOML, { ...ALL_KEYS, OLLAMA_EDGE_DEVICE: "" });
    expect(config.providers.get("ollama")).toMatchObject({
      transport: "direct",
      url: "http://host.docker.internal:11434",
      edgeDevice: undefined,
    });
    expect(config.warnings.some((w) => w.startsWith("providers.ollama.url: host.docker.internal is unreachable"))).toBe(
      true,
    );
  });

  it('should take url = "edge:<id>" as edge transport, and keep a public Ollama URL direct', ({ expect }) => {
    const config = parsed(
      `[providers.pi]\ntype = "ollama"\nurl = "edge:pi-2"\n[providers.remote]\ntype = "ollama"\nurl = "https://ollama.example.com"\n`,
      { OLLAMA_EDGE_DEVICE: "pi-1" },
    );
    expect(config.providers.get("pi")).toMatchObject({ transport: "edge:pi-2", edgeDevice: "pi-2" });
    expect(config.providers.get("remote")).toMatchObject({ transport: "direct", url: "https://ollama.example.com" });
  });
});

describe("tiers", () => {
  it("should come from provider names, then types, with explicit tiers winning", ({ expect }) => {
    const config = parsed(`${BUNDLED_TOML}
[providers.acme]
type = "openai"
url = "https://acme.test/v1"
[providers.shed]
type = "ollama"
url = "http://127.0.0.1:11434"
[providers.workhorse]
type = "anthropic"
api_key = "k"
tier = "plans"
[models.acme-m]
provider = "acme"
model = "m"
[functions.mixed]
type = "chat"
[functions.mixed.variants.pinned]
model = "models.acme-m"
tier = "local"
`);
    const tiers = Object.fromEntries([...config.providers.values()].map((p) => [p.name, `${p.tier}/${p.tierSource}`]));
    expect(tiers).toEqual({
      ollama: "local/name",
      cloudflare: "free/name",
      openrouter: "plans/name",
      glm: "plans/name",
      google_gemini: "cloud/name",
      anthropic: "cloud/name",
      openai: "cloud/name",
      acme: "cloud/type",
      shed: "local/type",
      workhorse: "plans/explicit",
    });
    expect(fn(config, "mixed").variants[0]).toMatchObject({ tier: "local", tierSource: "variant" });
  });
});

describe("planVariants", () => {
  it("should reproduce the seed's Local → Cloudflare → Gemini → Anthropic → OpenAI", ({ expect }) => {
    const config = parsed(BUNDLED_TOML);
    const plan = planVariants(fn(config, "chat"), config, { random: Math.random });
    expect(plan.attempts.map((a) => `${a.variant}:${a.provider.name}:${a.tier}`)).toEqual([
      "local:ollama:local",
      "free_tier:cloudflare:free",
      "cloud_gemini:google_gemini:cloud",
      "cloud_anthropic:anthropic:cloud",
      "cloud_openai:openai:cloud",
    ]);
    expect(plan.deadlineMs).toBe(10_000);
  });

  it("should order by tier, then weight, then as written, whatever the written order", ({ expect }) => {
    const config = parsed(`${TWO_PROVIDERS}
[functions.f]
type = "chat"
variants = ["cloud_b", "cloud_a", "local_light", "cloud_c", "local_heavy"]
[functions.f.variants.cloud_b]
model = "models.big"
weight = 0.5
[functions.f.variants.cloud_a]
model = "models.big"
weight = 0.9
[functions.f.variants.local_light]
model = "models.small"
weight = 0.1
[functions.f.variants.cloud_c]
model = "models.big"
weight = 0.5
[functions.f.variants.local_heavy]
model = "models.small"
weight = 2
`);
    expect(order(config, "f")).toEqual(["local_heavy", "local_light", "cloud_a", "cloud_b", "cloud_c"]);
  });

  it("should follow an explicit order, then the rest by tier and weight (with a warning)", ({ expect }) => {
    const config = parsed(`${BUNDLED_TOML}
[functions.ordered]
type = "chat"
order = ["cloud_openai", "local"]
[functions.ordered.variants.local]
model = "models.qwen-local"
weight = 1.0
[functions.ordered.variants.cloud_openai]
model = "models.gpt-4o"
[functions.ordered.variants.free]
model = "models.llama-cf"
`);
    expect(order(config, "ordered")).toEqual(["cloud_openai", "local", "free"]);
    expect(config.warnings).toContain(
      "functions.ordered.order: free not listed; tried after the listed ones, by tier and weight",
    );
  });

  it("should skip disabled providers and those the caller rules out, with reasons", ({ expect }) => {
    const config = parsed(BUNDLED_TOML, { ...ALL_KEYS, ANTHROPIC_API_KEY: undefined });
    const plan = planVariants(fn(config, "chat"), config, {
      random: Math.random,
      skip: (p) => (p === "cloudflare" ? "circuit open" : null),
    });
    expect(plan.attempts.map((a) => a.variant)).toEqual(["local", "cloud_gemini", "cloud_openai"]);
    expect(plan.skipped).toEqual([
      { variant: "free_tier", provider: "cloudflare", tier: "free", reason: "circuit open" },
      { variant: "cloud_anthropic", provider: "anthropic", tier: "cloud", reason: "ANTHROPIC_API_KEY is not set" },
    ]);
  });

  it("should pin a variant by name (variant_name)", ({ expect }) => {
    const config = parsed(BUNDLED_TOML);
    const plan = planVariants(fn(config, "chat"), config, { random: Math.random, variantName: "cloud_anthropic" });
    expect(plan.attempts.map((a) => a.variant)).toEqual(["cloud_anthropic"]);
    expect(planVariants(fn(config, "chat"), config, { random: Math.random, variantName: "nope" }).attempts).toEqual([]);
  });

  it('should sample by weight within a tier when sampling = "weighted" (2,000 seeded draws, 0.75/0.25 ± 5%)', ({
    expect,
  }) => {
    const config = parsed(`${TWO_PROVIDERS}
[providers.openai2]
type = "openai"
api_key = "k2"
[models.big2]
provider = "openai2"
model = "gpt-4o"
[functions.lb]
type = "chat"
sampling = "weighted"
[functions.lb.variants.key_a]
model = "models.big"
weight = 0.75
[functions.lb.variants.key_b]
model = "models.big2"
weight = 0.25
[functions.lb.variants.spare]
model = "models.big"
[functions.lb.variants.local]
model = "models.small"
weight = 0.01
`);
    const random = seeded(42);
    let firstA = 0;
    const draws = 2000;
    for (let i = 0; i < draws; i += 1) {
      const o = order(config, "lb", random);
      expect(o[0]).toBe("local"); // tier order still holds
      expect(o[3]).toBe("spare"); // weight 0 comes last in its tier
      if (o[1] === "key_a") firstA += 1;
    }
    expect(Math.abs(firstA / draws - 0.75)).toBeLessThan(0.05);
  });
});

describe("resolveModel / planModel", () => {
  it("should resolve [models] names and provider::model shorthand", ({ expect }) => {
    const config = parsed(BUNDLED_TOML);
    expect(resolveModel("gpt-4o", config)).toMatchObject({
      model: "gpt-4o",
      provider: { name: "openai" },
      tier: "cloud",
    });
    expect(resolveModel("models.qwen-local", config)).toMatchObject({ model: "qwen2.5:32b", tier: "local" });
    expect(resolveModel("openai::gpt-4o-mini", config)).toMatchObject({
      modelName: "openai::gpt-4o-mini",
      model: "gpt-4o-mini",
      provider: { name: "openai" },
    });
    expect(resolveModel("google::gemini-2.0-flash", config)).toMatchObject({ provider: { name: "google_gemini" } });
    expect(resolveModel("nope", config)).toBeUndefined();
    expect(resolveModel("azure::x", config)).toBeUndefined();
    const plan = planModel("llama-cf", config);
    expect(plan?.attempts).toMatchObject([
      { model: "@cf/meta/llama-3-8b-instruct", tier: "free", timeouts: { nonStreamingTotalMs: 4000 } },
    ]);
  });
});

describe("defaults and TensorZero keys", () => {
  it("should default budgets so every tier failing stays under ~10 s", ({ expect }) => {
    const chat = fn(parsed(BUNDLED_TOML), "chat");
    const byName = Object.fromEntries(chat.variants.map((v) => [v.name, v]));
    expect(byName.local?.timeouts).toEqual({
      nonStreamingTotalMs: 4000,
      streamingTtftMs: 2500,
      streamingTotalMs: 120_000,
    });
    expect(byName.cloud_openai?.timeouts.nonStreamingTotalMs).toBe(8000);
    expect(byName.local?.retries).toEqual({ numRetries: 0, maxDelayS: 2 });
    expect(chat.deadlineMs).toBe(10_000);
  });

  it("should read timeouts, retries, cache, output_schema, params, metrics and embedding_models", ({ expect }) => {
    const config = parsed(`${TWO_PROVIDERS}
[embedding_models.embed-small]
provider = "openai"
model = "text-embedding-3-small"
prices = { input_per_million = 0.02, output_per_million = 0 }
[functions.extract]
type = "json"
timeouts = { total_ms = 6000, streaming = { ttft_ms = 1000 } }
retries = { num_retries = 1, max_delay_s = 0.5 }
cache = { enabled = true, ttl_s = 60, semantic_threshold = 0.95 }
output_schema = { type = "object", required = ["name"], properties = { name = { type = "string" } } }
[functions.extract.variants.local]
model = "models.small"
temperature = 0.2
max_tokens = 256
json_mode = "strict"
timeouts = { non_streaming = { total_ms = 1500 } }
retries = { num_retries = 3 }
[functions.vectors]
type = "embedding"
[functions.vectors.variants.cloud]
model = "embedding_models.embed-small"
[metrics.helpful]
type = "boolean"
level = "episode"
optimize = "max"
`);
    const extract = fn(config, "extract");
    expect(extract).toMatchObject({
      deadlineMs: 6000,
      cache: { enabled: true, ttlS: 60, semanticThreshold: 0.95, semanticTtlS: 60 },
    });
    expect(extract.outputSchema).toEqual({
      type: "object",
      required: ["name"],
      properties: { name: { type: "string" } },
    });
    expect(extract.variants[0]).toMatchObject({
      timeouts: { nonStreamingTotalMs: 1500, streamingTtftMs: 1000 },
      retries: { numRetries: 3, maxDelayS: 0.5 },
      params: { temperature: 0.2, max_tokens: 256 },
      jsonMode: "strict",
    });
    expect(fn(config, "vectors").variants[0]).toMatchObject({
      modelName: "embed-small",
      model: "text-embedding-3-small",
      prices: { inputPerMillion: 0.02 },
    });
    expect(config.metrics.get("helpful")).toEqual({
      name: "helpful",
      type: "boolean",
      level: "episode",
      optimize: "max",
    });
  });

  it("should warn about, not reject, unknown keys inside known blocks", ({ expect }) => {
    const config = parsed(`${BUNDLED_TOML}
[functions.chat.experimentation]
type = "static"
[functions.embed.variants.local_embed.extra_headers]
x = "y"
`);
    expect(config.warnings).toContain("functions.chat.experimentation: key not used by botplane; ignored");
    expect(config.warnings).toContain(
      "functions.embed.variants.local_embed.extra_headers: key not used by botplane; ignored",
    );
  });
});

describe("invalid configs", () => {
  it("should name the key of a wrong type", ({ expect }) => {
    const text = BUNDLED_TOML.replace(
      'model = "models.qwen-local"\nweight = 1.0',
      'model = "models.qwen-local"\nweight = "heavy"',
    );
    expect(errorOf(text)).toMatch(/^functions\.chat\.variants\.local\.weight: .*expected number/);
  });

  it("should name a variant's unknown model", ({ expect }) => {
    const text = BUNDLED_TOML.replace('model = "models.gemini-pro"', 'model = "models.nope"');
    expect(errorOf(text)).toBe("functions.chat.variants.cloud_gemini.model: unknown model 'models.nope'");
  });

  it("should name bad provider types, unknown providers, unknown order entries and undefined listed variants", ({
    expect,
  }) => {
    expect(errorOf('[providers.x]\ntype = "azure"\n')).toMatch(/^providers\.x\.type: /);
    expect(errorOf(`${TWO_PROVIDERS}[models.m]\nprovider = "nobody"\nmodel = "m"\n`)).toBe(
      "models.m.provider: unknown provider 'nobody'",
    );
    expect(
      errorOf(
        `${TWO_PROVIDERS}[functions.f]\ntype = "chat"\norder = ["ghost"]\n[functions.f.variants.a]\nmodel = "models.small"\n`,
      ),
    ).toBe("functions.f.order.0: unknown variant 'ghost'");
    expect(
      errorOf(
        `${TWO_PROVIDERS}[functions.f]\ntype = "chat"\nvariants = ["a", "b"]\n[functions.f.variants.a]\nmodel = "models.small"\n`,
      ),
    ).toMatch(/^functions\.f\.variants\.b: listed but not defined/);
    expect(errorOf(`${TWO_PROVIDERS}[functions.f]\ntype = "chat"\n`)).toBe(
      "functions.f.variants: a function needs at least one variant",
    );
    expect(
      errorOf(
        `${TWO_PROVIDERS}[functions.f]\ntype = "json"\noutput_schema = "schemas/f.json"\n[functions.f.variants.a]\nmodel = "models.small"\n`,
      ),
    ).toMatch(/^functions\.f\.output_schema: expected an inline table/);
    expect(
      errorOf(
        `${TWO_PROVIDERS}[functions.f]\ntype = "chat"\n[functions.f.variants.a]\nmodel = "models.small"\nretries = { num_retries = -1 }\n`,
      ),
    ).toMatch(/^functions\.f\.variants\.a\.retries\.num_retries: /);
  });

  it("should name the line of a TOML syntax error", ({ expect }) => {
    expect(errorOf('[providers.x]\ntype = "ollama"\nurl = \n')).toMatch(/^toml: line 3, column \d+: /);
  });
});

describe("loadGatewayConfig sources", () => {
  const VALID = `${TWO_PROVIDERS}[functions.only]\ntype = "chat"\n[functions.only.variants.a]\nmodel = "models.small"\n`;

  it("should take the bundled config, then GATEWAY_CONFIG, then the newest D1 row", async ({ expect }) => {
    await env.DB.prepare("DELETE FROM gateway_configs").run();
    clearConfigCache();
    const bundled = await loadGatewayConfig({ ...env, GATEWAY_CONFIG: "" });
    expect(bundled.source).toBe("bundled");
    expect(bundled.config.functions.has("chat")).toBe(true);

    const fromVar = await loadGatewayConfig({ ...env, GATEWAY_CONFIG: VALID });
    expect(fromVar.source).toBe("env");
    expect([...fromVar.config.functions.keys()]).toEqual(["only"]);

    await storeConfig(
      env.DB,
      VALID.replace("[functions.only]", "[functions.stored]").replace("functions.only.", "functions.stored."),
      "tester",
    );
    clearConfigCache();
    const fromD1 = await loadGatewayConfig({ ...env, GATEWAY_CONFIG: VALID });
    expect(fromD1.source).toBe("stored");
    expect([...fromD1.config.functions.keys()]).toEqual(["stored"]);
    expect(fromD1.stored?.createdBy).toBe("tester");
  });

  it("should keep serving a valid lower source when a higher one is invalid, reporting the key", async ({ expect }) => {
    await storeConfig(env.DB, `${VALID}[models.bad]\nprovider = "ollama"\nmodel = 7\n`, "tester");
    clearConfigCache();
    const loaded = await loadGatewayConfig({ ...env, GATEWAY_CONFIG: VALID });
    expect(loaded).toMatchObject({ source: "env", errorSource: "stored" });
    expect(loaded.error).toMatch(/^models\.bad\.model: /);

    const noVar = await loadGatewayConfig({ ...env, GATEWAY_CONFIG: "[functions" });
    expect(noVar).toMatchObject({ source: "bundled", errorSource: "stored" });
    await env.DB.prepare("DELETE FROM gateway_configs").run();
    clearConfigCache();
  });

  it("should report unconfigured providers and an invalid config for /health", async ({ expect }) => {
    const health = await gatewayHealth({ ...env, GATEWAY_CONFIG: "", ANTHROPIC_API_KEY: undefined });
    expect(health.source).toBe("bundled");
    expect(health.error).toBeUndefined();
    expect(health.unconfigured).toContainEqual({ provider: "anthropic", reason: "ANTHROPIC_API_KEY is not set" });
    await expect(gatewayHealthCheck({ ...env, GATEWAY_CONFIG: "[providers.x]\ntype = 1\n" })).rejects.toThrow(
      /env gateway config is invalid \(providers\.x\.type: .*\); serving the bundled config/,
    );
  });
});

describe("PUT/GET /api/v1/models/config", () => {
  const SECRET_TOML = `[providers.ollama]
type = "ollama"
url = "edge:pi-test"
[providers.vendor]
type = "openai"
url = "https://user:hunter2@vendor.test/v1?key=url-secret-999"
api_key = "sk-literal-secret-123"
[models.m]
provider = "vendor"
model = "m-1"
[functions.chat]
type = "chat"
[functions.chat.variants.cloud]
model = "models.m"
weight = 1
[functions.chat.variants.edge]
provider = "ollama"
model = "qwen2.5:0.5b"
[gateway]
bind_address = "0.0.0.0:3000"
`;

  it("should store a valid TOML body and answer with the summary and warnings", async ({ expect }) => {
    const res = await call("/api/v1/models/config", {
      method: "PUT",
      body: SECRET_TOML,
      token: await ADMIN(),
      headers: { "content-type": "text/plain" },
    });
    expect(res.status).toBe(200);
    const body = await json<{
      source: string;
      warnings: string[];
      functions: { name: string; variants: { name: string; tier: string }[] }[];
      providers: { name: string; transport: string }[];
    }>(res);
    expect(body.source).toBe("stored");
    expect(body.warnings).toContain("gateway: block not used by botplane (bind_address); ignored");
    expect(body.functions[0]?.variants.map((v) => `${v.name}:${v.tier}`)).toEqual(["edge:local", "cloud:cloud"]);
    expect(body.providers.find((p) => p.name === "ollama")?.transport).toBe("edge:pi-test");
  });

  it("should show the stored config on GET without any credential", async ({ expect }) => {
    const res = await call("/api/v1/models/config", { token: await token(["models:read"]) });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain("sk-literal-secret-123");
    expect(text).not.toContain("url-secret-999");
    expect(text).not.toContain("hunter2");
    const body = JSON.parse(text) as {
      source: string;
      stored: { created_by: string };
      providers: { name: string; url: string; has_api_key: boolean }[];
    };
    expect(body.source).toBe("stored");
    expect(body.stored.created_by).toBe("tester");
    expect(body.providers.find((p) => p.name === "vendor")).toMatchObject({
      url: "https://vendor.test/v1",
      has_api_key: true,
    });
  });

  it("should accept application/toml and JSON { toml }", async ({ expect }) => {
    const auth = await ADMIN();
    const toml = await call("/api/v1/models/config", {
      method: "PUT",
      body: SECRET_TOML,
      token: auth,
      headers: { "content-type": "application/toml" },
    });
    expect(toml.status).toBe(200);
    const viaJson = await call("/api/v1/models/config", {
      method: "PUT",
      body: { toml: SECRET_TOML.replace("weight = 1", "weight = 2") },
      token: auth,
    });
    expect(viaJson.status).toBe(200);
    const body = await json<{ functions: { variants: { name: string; weight: number }[] }[] }>(viaJson);
    expect(body.functions[0]?.variants.find((v) => v.name === "cloud")?.weight).toBe(2);
  });

  it("should refuse an invalid config with 400 naming the key, and keep the old one in force", async ({ expect }) => {
    const auth = await ADMIN();
    const bad = SECRET_TOML.replace('model = "models.m"', 'model = "models.nope"');
    const res = await call("/api/v1/models/config", {
      method: "PUT",
      body: bad,
      token: auth,
      headers: { "content-type": "text/plain" },
    });
    expect(res.status).toBe(400);
    const err = await json<{ error: { code: string; message: string; details: { issues: { field: string }[] } } }>(res);
    expect(err.error.code).toBe("invalid_config");
    expect(err.error.message).toBe("functions.chat.variants.cloud.model: unknown model 'models.nope'");
    expect(err.error.details.issues[0]?.field).toBe("functions.chat.variants.cloud.model");
    const after = await json<{ functions: { variants: { model: string }[] }[] }>(
      await call("/api/v1/models/config", { token: auth }),
    );
    expect(after.functions[0]?.variants.map((v) => v.model)).toContain("m");
  });

  it("should answer 400 for a missing body or bad JSON, 415 for a form body", async ({ expect }) => {
    const auth = await ADMIN();
    expect((await call("/api/v1/models/config", { method: "PUT", token: auth })).status).toBe(400);
    const wrongField = await call("/api/v1/models/config", { method: "PUT", body: { toml: 5 }, token: auth });
    expect(wrongField.status).toBe(400);
    expect((await json<{ error: { message: string } }>(wrongField)).error.message).toContain("body.toml");
    const form = await call("/api/v1/models/config", {
      method: "PUT",
      body: "toml=x",
      token: auth,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
  });

  it("should require admin to PUT and models:read to GET", async ({ expect }) => {
    expect(
      (
        await call("/api/v1/models/config", {
          method: "PUT",
          body: SECRET_TOML,
          headers: { "content-type": "text/plain" },
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await call("/api/v1/models/config", {
          method: "PUT",
          body: SECRET_TOML,
          token: await token(["models:read"]),
          headers: { "content-type": "text/plain" },
        })
      ).status,
    ).toBe(403);
    expect((await call("/api/v1/models/config")).status).toBe(401);
    expect((await call("/api/v1/models/config", { token: await token(["models:infer"]) })).status).toBe(403);
  });
});
