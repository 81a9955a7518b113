/**
 * The model gateway as a fresh `npm start` runs it: the bundled seed config, no API keys, so only `ollama`
 * is enabled and its URL (host.docker.internal) cannot be reached from here. Every call must say what failed
 * for each variant, a streamed call included, and `/health` must say the gateway cannot answer.
 * Nothing is stored in this file: the bundled config is what serves.
 */
import { describe, it } from "vitest";
import { call, json, token } from "./helpers";

interface PublicAttempt {
  variant: string;
  provider: string;
  tier: string;
  status: string;
  reason: string;
}

const DISABLED = [
  {
    variant: "free_tier",
    provider: "cloudflare",
    tier: "free",
    status: "skipped",
    reason: "cloudflare: CF_ACCOUNT_ID, CF_API_TOKEN are not set",
  },
  {
    variant: "cloud_gemini",
    provider: "google_gemini",
    tier: "cloud",
    status: "skipped",
    reason: "google_gemini: GOOGLE_API_KEY is not set",
  },
  {
    variant: "cloud_anthropic",
    provider: "anthropic",
    tier: "cloud",
    status: "skipped",
    reason: "anthropic: ANTHROPIC_API_KEY is not set",
  },
  {
    variant: "cloud_openai",
    provider: "openai",
    tier: "cloud",
    status: "skipped",
    reason: "openai: OPENAI_API_KEY is not set",
  },
];

async function attemptsOf(body: Record<string, unknown>): Promise<PublicAttempt[]> {
  const res = await call("/inference", {
    token: await token(["models:infer"]),
    body: { function_name: "chat", input: { messages: [{ role: "user", content: "hi" }] }, ...body },
  });
  if (res.status !== 502) throw new Error(`expected 502, got ${res.status} ${await res.text()}`);
  return (await json<{ error: { code: string; details: { attempts: PublicAttempt[] } } }>(res)).error.details.attempts;
}

describe("model gateway with no provider configured (bundled config, no keys)", () => {
  it("should name the local provider, its host and the network failure, then every disabled tier", async ({
    expect,
  }) => {
    const attempts = await attemptsOf({});
    const [local, ...rest] = attempts;
    expect(local).toMatchObject({ variant: "local", provider: "ollama", tier: "local", status: "network" });
    expect(local?.reason).toMatch(/^ollama at host\.docker\.internal:11434: /);
    expect(local?.reason).not.toContain("internal error");
    expect(rest).toEqual(DISABLED);
  });

  it("should carry the real attempts on a streamed call that fails before its first chunk", async ({ expect }) => {
    const attempts = await attemptsOf({ stream: true });
    expect(attempts.map((a) => [a.variant, a.status])).toEqual([
      ["local", "network"],
      ["free_tier", "skipped"],
      ["cloud_gemini", "skipped"],
      ["cloud_anthropic", "skipped"],
      ["cloud_openai", "skipped"],
    ]);
    expect(attempts[0]?.reason).toMatch(/^ollama at host\.docker\.internal:11434: /);
  });

  it("should list a pinned variant whose provider is disabled instead of an empty attempts list", async ({
    expect,
  }) => {
    expect(await attemptsOf({ stream: true, variant_name: "cloud_openai" })).toEqual([DISABLED[3]]);
  });

  it("should still say what failed once the breaker skips the local provider", async ({ expect }) => {
    // Seed 002's breaker opens after 5 consecutive failures; earlier tests in this file may have added some.
    let local: PublicAttempt | undefined;
    for (let i = 0; i < 10 && local?.status !== "skipped"; i++) [local] = await attemptsOf({});
    expect(local?.status).toBe("skipped");
    expect(local?.reason).toMatch(
      /^circuit breaker open \(last failure: ollama at host\.docker\.internal:11434: .+\); retry in \d+ ms$/,
    );
  });

  it("should answer 404 for a variant the function does not have", async ({ expect }) => {
    const res = await call("/inference", {
      token: await token(["models:infer"]),
      body: { function_name: "chat", variant_name: "nope", input: { messages: [{ role: "user", content: "hi" }] } },
    });
    expect(res.status).toBe(404);
    expect(await json(res)).toEqual({
      error: {
        code: "unknown_variant",
        message: "function 'chat' has no variant 'nope'",
        details: { field: "body.variant_name" },
      },
    });
  });

  it("should report degraded health naming every function no provider can answer", async ({ expect }) => {
    const res = await call("/health");
    expect(res.status).toBe(503);
    const body = await json<{ status: string; checks: Record<string, { status: string; error?: string }> }>(res);
    expect(body.status).toBe("degraded");
    expect(body.checks.d1?.status).toBe("ok");
    expect(body.checks.model_providers?.status).toBe("error");
    const unreachable =
      'ollama: host.docker.internal:11434 is unreachable from a Worker (set OLLAMA_EDGE_DEVICE or url = "edge:<device-id>")';
    const chain = `local: ${unreachable}; ` + DISABLED.map((d) => `${d.variant}: ${d.reason}`).join("; ");
    // The bundled `strategy` function (the JimBot advisor's) runs on the same chain as `chat`.
    expect(body.checks.model_providers?.error).toBe(
      `no provider can answer function 'chat' (${chain}); function 'embed' (local_embed: ${unreachable}); ` +
        `function 'strategy' (${chain})`,
    );
  });
});
