/**
 * The model gateway against the fakes as a newcomer's deployment would run it: the seed's five-variant chain
 * (Local → Cloudflare → Gemini → Anthropic → OpenAI) with every tier failing in order until the last answers;
 * the gateway's series on `/metrics` after known inferences; a failed fetch naming its provider, host and
 * network failure; and `/health` degrading once a function has no provider left that can answer.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, it } from "vitest";
import { ADMIN, call, json, token, uniqueId } from "./helpers";
import { recorded } from "./provider-fixtures";

const FAKE = env.TEST_FAKE_UPSTREAMS_URL;
const OLLAMA = env.TEST_FAKE_OLLAMA_URL;
const TAG = uniqueId("chain");
/** Not pulled on the fake Ollama: it answers 404, the local tier's "model not available". */
const LOCAL_MODEL = `qwen-not-pulled-${TAG}`;

// The seed's [providers], [models] and [functions.chat] blocks, with base URLs pointed at the fakes and
// model names picking each fake's failure.
const TOML = `
[providers.ollama]
type = "ollama"
url = "${OLLAMA}"

[providers.cloudflare]
type = "cloudflare"
url = "${FAKE}/cf/client/v4/accounts/acc/ai/v1"
api_key = "cf-test"

[providers.google_gemini]
type = "google"
url = "${FAKE}/google/v1beta"
api_key = "g-test"

[providers.anthropic]
type = "anthropic"
url = "${FAKE}/anthropic/v1"
api_key = "sk-ant-test"

[providers.openai]
type = "openai"
url = "${FAKE}/openai/v1"
api_key = "sk-test"

[models.qwen-local]
provider = "ollama"
model = "${LOCAL_MODEL}"

[models.llama-cf]
provider = "cloudflare"
model = "fake-500~${TAG}"

[models.gemini-pro]
provider = "google_gemini"
model = "fake-503~${TAG}"

[models.claude-sonnet]
provider = "anthropic"
model = "fake-529~${TAG}"

[models.gpt-4o]
provider = "openai"
model = "gpt-echo~${TAG}"

[functions.chat]
type = "chat"
variants = ["local", "free_tier", "cloud_gemini", "cloud_anthropic", "cloud_openai"]

[functions.chat.variants.local]
model = "models.qwen-local"
weight = 1.0

[functions.chat.variants.free_tier]
model = "models.llama-cf"
weight = 0.5

[functions.chat.variants.cloud_gemini]
model = "models.gemini-pro"
weight = 0.4

[functions.chat.variants.cloud_anthropic]
model = "models.claude-sonnet"
weight = 0.3

[functions.chat.variants.cloud_openai]
model = "models.gpt-4o"
weight = 0.1

# Providers of their own, so each series below counts only this file's known inferences.
[providers.metered_down]
type = "openai"
url = "${FAKE}/openai/v1"
api_key = "sk-test"

[providers.metered_up]
type = "openai"
url = "${FAKE}/openai/v1"
api_key = "sk-test"

[providers.doomed_down]
type = "openai"
url = "${FAKE}/openai/v1"
api_key = "sk-test"

[functions.metered]
type = "chat"

[functions.metered.variants.first]
provider = "metered_down"
model = "fake-500~metered-${TAG}"
weight = 1.0

[functions.metered.variants.second]
provider = "metered_up"
model = "echo~metered-${TAG}"
weight = 0.5

[functions.all_down]
type = "chat"

[functions.all_down.variants.only]
provider = "doomed_down"
model = "fake-500~doomed-${TAG}"

# Three ways a fetch never gets an answer: a name that cannot resolve (.invalid never does), a port nobody
# listens on, and TLS spoken to a plain-HTTP server.
[providers.gone]
type = "ollama"
url = "http://ollama.invalid:11434"

[providers.refused]
type = "openai"
url = "http://127.0.0.1:1/v1"
api_key = "sk-test"

[providers.plaintext]
type = "openai"
url = "${FAKE.replace("http://", "https://")}/openai/v1"
api_key = "sk-test"

[functions.unreachable]
type = "chat"
order = ["dns", "port", "tls"]

[functions.unreachable.variants.dns]
provider = "gone"
model = "llama3.2"

[functions.unreachable.variants.port]
provider = "refused"
model = "gpt-echo"

[functions.unreachable.variants.tls]
provider = "plaintext"
model = "gpt-echo"

# Its only provider answers 401: once marked misconfigured, nothing can answer this function.
[providers.keyless]
type = "openai"
url = "${FAKE}/openai/v1"
api_key = "sk-wrong"

[functions.locked]
type = "chat"

[functions.locked.variants.only]
provider = "keyless"
model = "fake-401~${TAG}"
`;

interface PublicAttempt {
  variant: string;
  provider: string;
  tier: string;
  status: string;
  reason: string;
}

let infer = "";
let read = "";

function ask(functionName: string, stream = false): Promise<Response> {
  return call("/inference", {
    token: infer,
    body: { function_name: functionName, stream, input: { messages: [{ role: "user", content: "hello chain" }] } },
  });
}

async function failedAttempts(res: Response): Promise<PublicAttempt[]> {
  if (res.status !== 502) throw new Error(`expected 502, got ${res.status} ${await res.text()}`);
  return (await json<{ error: { details: { attempts: PublicAttempt[] } } }>(res)).error.details.attempts;
}

/** Sample values of one family, keyed by its labels rendered as `k=v,…` sorted by name. */
async function samples(name: string): Promise<Map<string, number>> {
  const res = await call("/metrics", { token: await token(["metrics:read"]) });
  const out = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    if (m?.[1] !== name || m[2] === undefined || m[3] === undefined) continue;
    const labels = [...m[2].matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((l) => `${l[1]}=${l[2]}`).sort();
    out.set(labels.join(","), Number(m[3]));
  }
  return out;
}

describe("model gateway: the seed's five-variant chain against the fakes", () => {
  beforeAll(async () => {
    infer = await token(["models:infer"]);
    read = await token(["models:read"]);
    const res = await call("/api/v1/models/config", {
      method: "PUT",
      token: await ADMIN(),
      body: TOML,
      headers: { "content-type": "text/plain" },
    });
    if (res.status !== 200) throw new Error(`config: ${res.status} ${await res.text()}`);
  });

  it("should fail over local → free → cloud in the seed's order until OpenAI answers", async ({ expect }) => {
    const res = await ask("chat");
    expect(res.status).toBe(200);
    const body = await json<{ inference_id: string; variant_name: string; content: unknown[] }>(res);
    expect(body.variant_name).toBe("cloud_openai");
    expect(body.content).toEqual([{ type: "text", text: "echo: hello chain" }]);

    // Every failing tier was really called, once.
    const local = await fetch(`${OLLAMA}/__requests?model=${encodeURIComponent(LOCAL_MODEL)}`);
    expect(((await local.json()) as unknown[]).length).toBe(1);
    for (const m of [`fake-500~${TAG}`, `fake-503~${TAG}`, `fake-529~${TAG}`, `gpt-echo~${TAG}`])
      expect((await recorded(m)).length, m).toBe(1);

    // The log row is written off the request path.
    await expect
      .poll(async () => (await call(`/inferences/${body.inference_id}`, { token: read })).status, { timeout: 10_000 })
      .toBe(200);
    const r = await call(`/inferences/${body.inference_id}`, { token: read });
    const row = await json<{ attempts: PublicAttempt[]; provider: string; tier: string }>(r);
    expect(row.attempts.map(({ variant, provider, tier, status }) => ({ variant, provider, tier, status }))).toEqual([
      { variant: "local", provider: "ollama", tier: "local", status: "unavailable" },
      { variant: "free_tier", provider: "cloudflare", tier: "free", status: "server" },
      { variant: "cloud_gemini", provider: "google_gemini", tier: "cloud", status: "overloaded" },
      { variant: "cloud_anthropic", provider: "anthropic", tier: "cloud", status: "overloaded" },
      { variant: "cloud_openai", provider: "openai", tier: "cloud", status: "ok" },
    ]);
    expect({ provider: row.provider, tier: row.tier }).toEqual({ provider: "openai", tier: "cloud" });
  });

  it("should count every attempt, the fallback depth and provider latency on /metrics", async ({ expect }) => {
    expect((await ask("metered")).status).toBe(200);
    expect((await ask("metered")).status).toBe(200);
    const streamed = await ask("metered", true);
    expect(streamed.status).toBe(200);
    expect(await streamed.text()).toContain("data: [DONE]");
    expect(await failedAttempts(await ask("all_down"))).toHaveLength(1);

    await expect
      .poll(async () => Object.fromEntries(await samples("botplane_inferences_total")), { timeout: 10_000 })
      .toMatchObject({
        "function=metered,provider=metered_down,status=server,variant=first": 3,
        "function=metered,provider=metered_up,status=ok,variant=second": 3,
        "function=all_down,provider=doomed_down,status=server,variant=only": 1,
      });
    const counters = await samples("botplane_inferences_total");
    expect([...counters.keys()].filter((k) => /function=(metered|all_down),/.test(k)).sort()).toEqual([
      "function=all_down,provider=doomed_down,status=server,variant=only",
      "function=metered,provider=metered_down,status=server,variant=first",
      "function=metered,provider=metered_up,status=ok,variant=second",
    ]);
    // Each served from the second position (depth 1); the total failure served nothing, so observes nothing.
    expect((await samples("botplane_inference_fallback_depth_count")).get("function=metered")).toBe(3);
    expect((await samples("botplane_inference_fallback_depth_sum")).get("function=metered")).toBe(3);
    expect((await samples("botplane_inference_fallback_depth_count")).has("function=all_down")).toBe(false);
    expect((await samples("botplane_provider_latency_seconds_count")).get("provider=metered_up")).toBe(3);
    expect((await samples("botplane_provider_latency_seconds_count")).has("provider=metered_down")).toBe(false);
    expect((await samples("botplane_provider_ttft_seconds_count")).get("provider=metered_up")).toBe(1);
  });

  it("should name the provider, its host and the network failure when a fetch gets no answer", async ({ expect }) => {
    const attempts = await failedAttempts(await ask("unreachable"));
    const port = new URL(FAKE).port;
    expect(attempts.map((a) => [a.variant, a.status])).toEqual([
      ["dns", "network"],
      ["port", "network"],
      ["tls", "network"],
    ]);
    expect(attempts[0]?.reason).toMatch(/^gone at ollama\.invalid:11434: DNS lookup failed \(workerd reference \w+\)$/);
    expect(attempts[1]?.reason).toBe("refused at 127.0.0.1:1: connection refused or reset");
    expect(attempts[2]?.reason).toMatch(
      new RegExp(`^plaintext at 127\\.0\\.0\\.1:${port}: TLS handshake failed \\(workerd reference \\w+\\)$`),
    );
  });

  it("should degrade /health naming a function once none of its providers can answer", async ({ expect }) => {
    const before = await call("/health");
    expect(before.status).toBe(200);
    // The 401 marks `keyless` misconfigured; `locked` has no other variant.
    expect((await failedAttempts(await ask("locked")))[0]?.status).toBe("auth");
    const res = await call("/health");
    expect(res.status).toBe(503);
    const body = await json<{ status: string; checks: { model_providers: { status: string; error: string } } }>(res);
    expect(body.status).toBe("degraded");
    expect(body.checks.model_providers.status).toBe("error");
    expect(body.checks.model_providers.error).toMatch(
      /^no provider can answer function 'locked' \(only: keyless: misconfigured until \S+: keyless: HTTP 401/,
    );
    expect(body.checks.model_providers.error).not.toContain("function 'chat'");
  });
});
