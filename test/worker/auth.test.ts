/**
 * Authentication: HS256 and JWKS tokens, exp/iss/aud rules, scope parsing, and API keys (created once,
 * hashed, accepted as Bearer or x-api-key, revocable, last use recorded).
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { importJWK, SignJWT, type JWK } from "jose";
import { describe, it } from "vitest";
import { principalFromJwt } from "../../workers/platform/auth/jwt";
import { scopesFromClaims } from "../../workers/platform/auth/scopes";
import worker from "../../workers/index";
import { ADMIN, call, json, rsToken, SECRET } from "./helpers";

const key = new TextEncoder().encode(SECRET);

describe("JWT verification", () => {
  it("should reject an expired token with 401", async ({ expect }) => {
    const expired = await new SignJWT({ scopes: ["admin"] })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(key);
    const res = await call("/v1/stats", { token: expired });
    expect(res.status).toBe(401);
    expect((await json<{ error: { message: string } }>(res)).error.message).toMatch(/expired/);
  });

  it("should reject a token without exp", async ({ expect }) => {
    const forever = await new SignJWT({ scopes: ["admin"] }).setProtectedHeader({ alg: "HS256" }).sign(key);
    expect((await call("/v1/stats", { token: forever })).status).toBe(401);
  });

  it("should reject garbage and a non-Bearer scheme", async ({ expect }) => {
    expect((await call("/v1/stats", { token: "not.a.jwt" })).status).toBe(401);
    expect((await call("/v1/stats", { headers: { authorization: `Basic ${btoa("a:b")}` } })).status).toBe(401);
  });

  it("should refuse a token without sub with 401 and WWW-Authenticate, whatever its scopes", async ({ expect }) => {
    const anonymous = await new SignJWT({ scopes: ["admin"] })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime("1h")
      .sign(key);
    const res = await call("/v1/stats", { token: anonymous });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
    expect(await json(res)).toEqual({
      error: { code: "unauthorized", message: "token has no subject (sub)" },
    });
    const blank = await new SignJWT({ scopes: ["admin"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("  ")
      .setExpirationTime("1h")
      .sign(key);
    expect((await call("/v1/stats", { token: blank })).status).toBe(401);
  });

  it("should not describe which auth settings are configured in a 401", async ({ expect }) => {
    // The Worker's real entry with one setting removed at a time: the refusal must read the same as a bad
    // signature, never naming a variable or an algorithm.
    async function messageWith(overrides: Partial<typeof env>, credential: string): Promise<string> {
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request("https://botplane.test/v1/stats", { headers: { authorization: `Bearer ${credential}` } }),
        { ...env, ...overrides },
        ctx,
      );
      await waitOnExecutionContext(ctx);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
      return (await json<{ error: { message: string } }>(res)).error.message;
    }
    // A token of its own (jti), so no earlier verification can answer from the isolate's cache.
    const rsKey = await importJWK(JSON.parse(env.TEST_JWKS_PRIVATE_KEY) as JWK, "RS256");
    const rs = await new SignJWT({ scopes: ["botz:read"] })
      .setProtectedHeader({ alg: "RS256", kid: "test-key" })
      .setSubject("rs-tester")
      .setJti(crypto.randomUUID())
      .setExpirationTime("1h")
      .sign(rsKey);
    const hs = await new SignJWT({ scopes: ["botz:read"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("alice")
      .setIssuer("https://evil.test")
      .setJti(crypto.randomUUID())
      .setExpirationTime("1h")
      .sign(key);
    const messages = [
      await messageWith({ AUTH_JWKS_URL: undefined }, rs),
      await messageWith({ AUTH_JWT_SECRET: undefined }, hs),
      await messageWith({ AUTH_JWT_ISSUER: "https://issuer.test" }, hs),
      await messageWith({ AUTH_JWT_AUDIENCE: "botplane" }, hs),
      await messageWith({}, `${hs.slice(0, -4)}AAAA`),
    ];
    expect(messages).toEqual(["invalid token", "invalid token", "invalid token", "invalid token", "invalid token"]);
  });

  it("should accept an RS256 token whose key comes from AUTH_JWKS_URL", async ({ expect }) => {
    const res = await call("/v1/stats", { token: await rsToken(["botz:read"]) });
    expect(res.status).toBe(200);
  });

  it("should check iss and aud when they are configured", async ({ expect }) => {
    const configured = { ...env, AUTH_JWT_ISSUER: "https://issuer.test", AUTH_JWT_AUDIENCE: "botplane" };
    const good = await new SignJWT({ scopes: ["botz:read"] })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("https://issuer.test")
      .setAudience("botplane")
      .setSubject("alice")
      .setExpirationTime("1h")
      .sign(key);
    const wrongIss = await new SignJWT({ scopes: ["botz:read"] })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("https://evil.test")
      .setAudience("botplane")
      .setExpirationTime("1h")
      .sign(key);
    const noAud = await new SignJWT({ scopes: ["botz:read"] })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("https://issuer.test")
      .setExpirationTime("1h")
      .sign(key);
    expect((await principalFromJwt(good, configured)).sub).toBe("alice");
    await expect(principalFromJwt(wrongIss, configured)).rejects.toMatchObject({ status: 401 });
    await expect(principalFromJwt(noAud, configured)).rejects.toMatchObject({ status: 401 });
  });

  it("should read scopes as an array or a space-separated string", ({ expect }) => {
    expect(scopesFromClaims({ scopes: ["a", "b"] })).toEqual(["a", "b"]);
    expect(scopesFromClaims({ scope: "a b  c" })).toEqual(["a", "b", "c"]);
    expect(scopesFromClaims({})).toEqual([]);
  });
});

describe("API keys", () => {
  async function createKey(scopes: string[]) {
    const res = await call("/v1/admin/api-keys", { token: await ADMIN(), body: { name: "crush-cli", scopes } });
    if (res.status !== 201) throw new Error(`create key: ${res.status} ${await res.text()}`);
    return json<{ id: string; key: string; prefix: string; scopes: string[] }>(res);
  }

  it("should create a key shown once and stored only as a hash", async ({ expect }) => {
    const created = await createKey(["botz:read"]);
    expect(created.key).toMatch(/^bpk_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    const row = await env.DB.prepare("SELECT * FROM api_keys WHERE id = ?")
      .bind(created.id)
      .first<Record<string, unknown>>();
    expect(JSON.stringify(row)).not.toContain(created.key);
    const list = await json<{ api_keys: Record<string, unknown>[] }>(
      await call("/v1/admin/api-keys", { token: await ADMIN() }),
    );
    expect(JSON.stringify(list)).not.toContain(created.key);
    expect(list.api_keys.some((k) => k.id === created.id)).toBe(true);
  });

  it("should accept a key as Bearer and as x-api-key, within its scopes only", async ({ expect }) => {
    const { key } = await createKey(["botz:read"]);
    expect((await call("/v1/stats", { token: key })).status).toBe(200);
    expect((await call("/v1/stats", { headers: { "x-api-key": key } })).status).toBe(200);
    expect((await call("/metrics", { headers: { "x-api-key": key } })).status).toBe(403);
  });

  it("should record the last use off the request path", async ({ expect }) => {
    const { id, key } = await createKey(["metrics:read"]);
    expect((await call("/metrics", { token: key })).status).toBe(200);
    await expect
      .poll(
        async () =>
          (
            await env.DB.prepare("SELECT last_used_at FROM api_keys WHERE id = ?")
              .bind(id)
              .first<{ last_used_at: number | null }>()
          )?.last_used_at,
      )
      .toBeTypeOf("number");
  });

  it("should refuse a revoked key at once and 404 a second revoke", async ({ expect }) => {
    const { id, key } = await createKey(["botz:read"]);
    expect((await call("/v1/stats", { token: key })).status).toBe(200);
    const revoked = await call(`/v1/admin/api-keys/${id}`, { method: "DELETE", token: await ADMIN() });
    expect(revoked.status).toBe(200);
    expect((await json<{ revoked_at: string | null }>(revoked)).revoked_at).not.toBeNull();
    expect((await call("/v1/stats", { token: key })).status).toBe(401);
    expect((await call(`/v1/admin/api-keys/${id}`, { method: "DELETE", token: await ADMIN() })).status).toBe(404);
  });

  it("should refuse an unknown key and an expiry in the past", async ({ expect }) => {
    expect((await call("/v1/stats", { token: "bpk_nope" })).status).toBe(401);
    const res = await call("/v1/admin/api-keys", {
      token: await ADMIN(),
      body: { name: "old", scopes: ["botz:read"], expires_at: "2001-01-01T00:00:00Z" },
    });
    expect(res.status).toBe(400);
    expect((await json<{ error: { message: string } }>(res)).error.message).toContain("body.expires_at");
  });

  it("should not let a key create keys unless it has admin", async ({ expect }) => {
    const { key } = await createKey(["botz:read", "botz:write"]);
    const res = await call("/v1/admin/api-keys", { token: key, body: { name: "escalate", scopes: ["admin"] } });
    expect(res.status).toBe(403);
  });
});
