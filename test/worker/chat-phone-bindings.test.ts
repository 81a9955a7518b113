/**
 * The phone-binding admin routes: bind (201, then 200 on a rebind), list, unbind (204, then 404), E.164
 * validation, the trust mode capped by the `sms` surface, and the audit rows with the number masked.
 */
import { describe, it } from "vitest";
import { ADMIN, call, json, uniqueId } from "./helpers";
import { auditRows } from "./chat-support";
import { uniquePhone } from "./twilio-support";

interface Binding {
  phone: string;
  user_id: string;
  workspace_id: string;
  trust_mode: number;
  effective_trust_mode: number;
  session_id: string | null;
  opted_out_at: string | null;
}

const pathOf = (phone: string) => `/api/v1/chat/phone-bindings/${encodeURIComponent(phone)}`;

describe("PUT/GET/DELETE /api/v1/chat/phone-bindings", () => {
  it("should bind, rebind, list and unbind a number", async ({ expect }) => {
    const phone = uniquePhone();
    const founder = uniqueId("founder");
    const auth = await ADMIN();
    const created = await call(pathOf(phone), { method: "PUT", token: auth, body: { user_id: founder } });
    expect(created.status).toBe(201);
    expect(await json<Binding>(created)).toMatchObject({
      phone,
      user_id: founder,
      workspace_id: founder,
      trust_mode: 0,
      effective_trust_mode: 0,
      session_id: null,
      opted_out_at: null,
    });
    const rebound = await call(pathOf(phone), {
      method: "PUT",
      token: auth,
      body: { user_id: founder, workspace_id: "ws-1", trust_mode: 3 },
    });
    expect(rebound.status).toBe(200);
    // Mode 3 is asked for, but the sms surface's policy caps sessions at 1.
    expect(await json<Binding>(rebound)).toMatchObject({
      workspace_id: "ws-1",
      trust_mode: 3,
      effective_trust_mode: 1,
    });

    const listed = await json<{ bindings: Binding[] }>(await call("/api/v1/chat/phone-bindings", { token: auth }));
    expect(listed.bindings.filter((b) => b.phone === phone).map((b) => b.user_id)).toEqual([founder]);

    const removed = await call(pathOf(phone), { method: "DELETE", token: auth });
    expect(removed.status).toBe(204);
    const again = await call(pathOf(phone), { method: "DELETE", token: auth });
    expect(again.status).toBe(404);
    expect((await json<{ error: { code: string } }>(again)).error.code).toBe("phone_binding_not_found");
  });

  it("should refuse a number that is not E.164 with 400 naming param.phone", async ({ expect }) => {
    const res = await call(pathOf("555-1234"), { method: "PUT", token: await ADMIN(), body: { user_id: "f" } });
    expect(res.status).toBe(400);
    const body = await json<{ error: { code: string; details: { issues: { field: string }[] } } }>(res);
    expect(body.error.code).toBe("invalid_input");
    expect(body.error.details.issues.map((i) => i.field)).toContain("param.phone");
  });

  it("should audit the binding with the number masked to its last two digits", async ({ expect }) => {
    const phone = uniquePhone();
    const founder = uniqueId("founder");
    await call(pathOf(phone), { method: "PUT", token: await ADMIN(), body: { user_id: founder } });
    const rows = await auditRows(founder);
    expect(rows.map((r) => [r.operation, r.surface, r.outcome])).toEqual([["phone_binding:put", "sms", "allowed"]]);
    expect(rows[0]?.detail).toContain(`+*********${phone.slice(-2)}`);
    expect(rows[0]?.detail).not.toContain(phone.slice(1));
  });
});
