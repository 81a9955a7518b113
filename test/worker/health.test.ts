import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { ADMIN, call, json } from "./helpers";

/** A gateway whose one function has an answering provider: the bundled config's (no keys) degrades /health. */
const ANSWERING_GATEWAY = `
[providers.openai]
type = "openai"
url = "${env.TEST_FAKE_UPSTREAMS_URL}/openai/v1"
api_key = "sk-test"

[functions.chat]
type = "chat"

[functions.chat.variants.cloud]
provider = "openai"
model = "gpt-echo"
`;

describe("GET /healthz", () => {
  it("should answer without credentials and echo a traceparent", async ({ expect }) => {
    const res = await call("/healthz");
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ status: "ok" });
    expect(res.headers.get("traceparent")).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it("should continue the caller's trace", async ({ expect }) => {
    const incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const res = await call("/healthz", { headers: { traceparent: incoming } });
    const echoed = res.headers.get("traceparent") ?? "";
    expect(echoed.startsWith("00-4bf92f3577b34da6a3ce929d0e0e4736-")).toBe(true);
    expect(echoed).not.toContain("00f067aa0ba902b7");
  });

  it("should start a new trace when the header is malformed", async ({ expect }) => {
    const res = await call("/healthz", { headers: { traceparent: "00-zzzz-1-01" } });
    expect(res.headers.get("traceparent")).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });
});

describe("GET /health", () => {
  it("should report D1 and the registry as ok", async ({ expect }) => {
    const stored = await call("/api/v1/models/config", {
      method: "PUT",
      token: await ADMIN(),
      body: ANSWERING_GATEWAY,
      headers: { "content-type": "text/plain" },
    });
    expect(stored.status).toBe(200);
    const res = await call("/health");
    expect(res.status).toBe(200);
    const body = await json<{ status: string; checks: Record<string, { status: string }> }>(res);
    expect(body.status).toBe("ok");
    expect(body.checks.d1?.status).toBe("ok");
    expect(body.checks.botz_registry?.status).toBe("ok");
  });
});
