/**
 * The chat gateway's trust enforcer through the Worker's entry: each check of the seed's flow (expiry,
 * surface, scope, trust ceiling) failing on its own with its own code, in the seed's order; and the audit
 * log recording every attempt, allowed or denied, with the token masked.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { maskCredential, maskPhones } from "../../workers/chat/mask";
import { call, json, uniqueId } from "./helpers";
import { auditRows, founderToken } from "./chat-support";

const UNKNOWN = "00000000-0000-4000-8000-00000000abcd";

async function chatError(tokenValue: string, body: Record<string, unknown>) {
  const res = await call("/chat", { token: tokenValue, body: { message: "hello", session_id: UNKNOWN, ...body } });
  return { status: res.status, error: (await json<{ error: { code: string; details?: unknown } }>(res)).error };
}

describe("POST /chat auth flow", () => {
  it("should refuse an expired token with token_expired", async ({ expect }) => {
    const t = await founderToken({ user_id: uniqueId("f"), exp: Math.floor(Date.now() / 1000) - 60 });
    expect(await chatError(t, {})).toMatchObject({ status: 401, error: { code: "token_expired" } });
  });

  it("should refuse a surface the token does not allow with surface_not_allowed", async ({ expect }) => {
    const t = await founderToken({ user_id: uniqueId("f"), surfaces: ["sms"] });
    expect(await chatError(t, { surface: "web" })).toEqual({
      status: 403,
      error: {
        code: "surface_not_allowed",
        message: "the token does not allow surface 'web'",
        details: { surface: "web", allowed: ["sms"] },
      },
    });
  });

  it("should refuse a token without the operation's scope with forbidden", async ({ expect }) => {
    const t = await founderToken({ user_id: uniqueId("f"), scopes: ["chat:read"], surfaces: ["web"] });
    expect(await chatError(t, {})).toMatchObject({
      status: 403,
      error: { code: "forbidden", details: { required: "chat:write" } },
    });
  });

  it("should refuse a trust mode above the ceiling with trust_mode_exceeded", async ({ expect }) => {
    const t = await founderToken({ user_id: uniqueId("f"), trust_mode_max: 1 });
    expect(await chatError(t, { trust_mode: 3 })).toMatchObject({
      status: 403,
      error: { code: "trust_mode_exceeded", details: { requested: 3, ceiling: 1 } },
    });
    // The surface caps the token: sms allows at most mode 1 even for a mode-3 token.
    const sovereign = await founderToken({ user_id: uniqueId("f"), trust_mode_max: 3 });
    expect(await chatError(sovereign, { trust_mode: 2, surface: "sms" })).toMatchObject({
      status: 403,
      error: { code: "trust_mode_exceeded", details: { requested: 2, ceiling: 1 } },
    });
  });

  it("should check in the seed's order: expiry before surface before scope before trust", async ({ expect }) => {
    const everythingWrong = { user_id: uniqueId("f"), scopes: ["chat:read"], surfaces: ["sms"], trust_mode_max: 0 };
    const expired = await founderToken({ ...everythingWrong, exp: Math.floor(Date.now() / 1000) - 60 });
    expect((await chatError(expired, { trust_mode: 3 })).error.code).toBe("token_expired");
    expect((await chatError(await founderToken(everythingWrong), { trust_mode: 3 })).error.code).toBe(
      "surface_not_allowed",
    );
    const rightSurface = await founderToken({ ...everythingWrong, surfaces: ["web"] });
    expect((await chatError(rightSurface, { trust_mode: 3 })).error.code).toBe("forbidden");
    const rightScope = await founderToken({ ...everythingWrong, surfaces: ["web"], scopes: ["chat:write"] });
    expect((await chatError(rightScope, { trust_mode: 3 })).error.code).toBe("trust_mode_exceeded");
    // And with everything right, the request is through auth: the unknown session is the answer.
    expect((await chatError(rightScope, { trust_mode: 0 })).error.code).toBe("session_not_found");
  });

  it("should refuse a claim of the wrong type with invalid_claims", async ({ expect }) => {
    const t = await founderToken({ user_id: uniqueId("f"), trust_mode_max: 7 });
    expect(await chatError(t, {})).toMatchObject({
      status: 401,
      error: { code: "invalid_claims", details: { claim: "trust_mode_max" } },
    });
  });
});

describe("chat audit log", () => {
  it("should record allowed and denied attempts with the token masked", async ({ expect }) => {
    const founder = uniqueId("audited");
    const allowed = await founderToken({ user_id: founder });
    const denied = await founderToken({ user_id: founder, surfaces: ["discord"] });
    expect((await call(`/session/${UNKNOWN}`, { token: allowed })).status).toBe(404);
    expect((await call("/chat", { token: denied, body: { message: "hi", surface: "web" } })).status).toBe(403);
    const rows = await auditRows(founder);
    expect(rows.map((r) => [r.operation, r.surface, r.outcome, r.code])).toEqual([
      ["chat:read", "web", "allowed", null],
      ["chat:write", "web", "denied", "surface_not_allowed"],
    ]);
    expect(rows.map((r) => r.credential)).toEqual([`***${allowed.slice(-4)}`, `***${denied.slice(-4)}`]);
    const all = JSON.stringify(rows);
    expect(all).not.toContain(allowed.slice(0, 20));
    expect(all).not.toContain(denied.slice(0, 20));
  });

  it("should record a verified caller whose input then failed validation, under the validation's code", async ({
    expect,
  }) => {
    const founder = uniqueId("bad-input");
    const res = await call("/chat", { token: await founderToken({ user_id: founder }), body: { message: "" } });
    expect(res.status).toBe(400);
    expect((await auditRows(founder)).map((r) => [r.operation, r.outcome, r.code])).toEqual([
      ["chat:write", "denied", "invalid_input"],
    ]);
  });

  it("should take the founder from sub when the token has no user_id", async ({ expect }) => {
    const sub = uniqueId("sub-only");
    expect((await call(`/session/${UNKNOWN}`, { token: await founderToken({ sub }) })).status).toBe(404);
    expect((await auditRows(sub)).map((r) => [r.founder_id, r.outcome])).toEqual([[sub, "allowed"]]);
  });

  it("should record a credential that never verified, masked and without a founder", async ({ expect }) => {
    const forged = `${uniqueId("forged")}.not.a-jwt-abcd`;
    const res = await call("/chat", { token: forged, body: { message: "hi" } });
    expect(res.status).toBe(401);
    const row = await env.DB.prepare(
      "SELECT founder_id, outcome, code, credential FROM chat_audit WHERE credential = ?",
    )
      .bind("***abcd")
      .first();
    expect(row).toEqual({ founder_id: null, outcome: "denied", code: "unauthorized", credential: "***abcd" });
  });

  it("should mask phone numbers and credentials", ({ expect }) => {
    expect(maskPhones("call +1 (555) 123-4567 or 020 7946 0958 today")).toBe("call +*********67 or *********58 today");
    expect(maskPhones("order 12345 ships")).toBe("order 12345 ships");
    expect(maskCredential("eyJhbGciOiJIUzI1NiJ9.payload.sig-wxyz")).toBe("***wxyz");
    expect(maskCredential("short")).toBe("***");
  });
});
