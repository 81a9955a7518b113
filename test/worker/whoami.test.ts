/**
 * GET /api/v1/whoami (the console's sign-in check) and the /console deep-link fallback in workers/console.
 */
import { exports } from "cloudflare:workers";
import { describe, it } from "vitest";
import { SCOPE_NAMES } from "../../workers/platform/auth/scopes";
import { ADMIN, call, json, token } from "./helpers";

interface Whoami {
  sub: string;
  kind: string;
  scopes: string[];
  granted: string[];
  workspace_id: string | null;
  api_key_id: string | null;
}

describe("GET /api/v1/whoami", () => {
  it("should answer 401 in the error shape without credentials", async ({ expect }) => {
    const res = await call("/api/v1/whoami");
    expect(res.status).toBe(401);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe("unauthorized");
  });

  it("should answer 401 for a token signed with another secret", async ({ expect }) => {
    const forged = await token(["admin"], { secret: "not-the-secret-not-the-secret-xx" });
    const res = await call("/api/v1/whoami", { token: forged });
    expect(res.status).toBe(401);
    await res.body?.cancel();
  });

  it("should describe a narrow token with exactly its own scopes", async ({ expect }) => {
    const res = await call("/api/v1/whoami", { token: await token(["events:read", "botz:read"], { sub: "reader" }) });
    expect(res.status).toBe(200);
    expect(await json<Whoami>(res)).toEqual({
      sub: "reader",
      kind: "jwt",
      scopes: ["events:read", "botz:read"],
      granted: ["botz:read", "events:read"],
      workspace_id: null,
      api_key_id: null,
    });
  });

  it("should expand chainbot:admin to every chainbot scope and nothing else", async ({ expect }) => {
    const res = await call("/api/v1/whoami", { token: await token(["chainbot:admin"]) });
    const body = await json<Whoami>(res);
    expect(body.granted).toEqual([
      "chainbot:read",
      "chainbot:workflow:execute",
      "chainbot:workflow:create",
      "chainbot:workflow:delete",
      "chainbot:agent:spawn",
      "chainbot:agent:terminate",
      "chainbot:entanglement:manage",
      "chainbot:admin",
    ]);
  });

  it("should expand admin to every scope", async ({ expect }) => {
    const body = await json<Whoami>(await call("/api/v1/whoami", { token: await ADMIN() }));
    expect(body.granted).toEqual(SCOPE_NAMES);
  });

  it("should describe an API key by its id and scopes", async ({ expect }) => {
    const created = await json<{ id: string; key: string }>(
      await call("/v1/admin/api-keys", {
        method: "POST",
        token: await ADMIN(),
        body: { name: "whoami", scopes: ["metrics:read"] },
      }),
    );
    const res = await call("/api/v1/whoami", { headers: { "x-api-key": created.key } });
    expect(res.status).toBe(200);
    const body = await json<Whoami>(res);
    expect(body.kind).toBe("api_key");
    expect(body.api_key_id).toBe(created.id);
    expect(body.granted).toEqual(["metrics:read"]);
  });
});

describe("GET /console/*", () => {
  it("should redirect /console to /console/", async ({ expect }) => {
    // Not call(): its fetch follows redirects.
    const res = await exports.default.fetch("https://botplane.test/console", { redirect: "manual" });
    expect(res.status).toBe(308);
    expect(res.headers.get("location")).toBe("/console/");
  });

  it("should answer a deep link with the app, or 404 console_not_built before the build", async ({ expect }) => {
    // The worker tests do not build the console: console/dist may be empty (CI) or hold a local build.
    const res = await call("/console/events/dead-letters");
    if (res.status === 200) {
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(await res.text()).toContain('<div id="app">');
    } else {
      expect(res.status).toBe(404);
      expect((await json<{ error: { code: string } }>(res)).error.code).toBe("console_not_built");
    }
  });

  it("should answer 404 in the error shape for a missing console file", async ({ expect }) => {
    const res = await call("/console/assets/nope-123.js");
    expect(res.status).toBe(404);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe("not_found");
  });

  it("should leave API paths to their own 404", async ({ expect }) => {
    const res = await call("/api/v1/console-nothing");
    expect(res.status).toBe(404);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe("not_found");
  });
});
