/**
 * ChainBot's audit log: masking (by key name and by value shape, recursively), rows written by the ChainBot
 * routes with the seed's fields and no secret in the stored row, refused calls recorded as failures, a
 * failed audit write that does not fail the request, and `GET /api/chainbot/audit` filters and cursor
 * paging. Each test uses its own user (token `sub`), so rows from other tests never match its filters.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { SignJWT } from "jose";
import { afterEach, describe, it, vi } from "vitest";
import { maskSecrets, maskString } from "../../workers/chainbot/audit/mask";
import worker from "../../workers/index";
import { ADMIN, call, json, SECRET, token, uniqueId } from "./helpers";

interface AuditEntry {
  id: string;
  timestamp: string;
  user_id: string;
  session_id: string | null;
  action: string;
  resource: string;
  outcome: string;
  status: number | null;
  error: string | null;
  metadata: Record<string, unknown>;
}
interface AuditList {
  entries: AuditEntry[];
  next_cursor: string | null;
}

const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz";

async function audit(query: string): Promise<AuditList> {
  const res = await call(`/api/chainbot/audit?${query}`, { token: await ADMIN() });
  if (res.status !== 200) throw new Error(`audit: ${res.status} ${await res.text()}`);
  return json<AuditList>(res);
}

async function sessionToken(sub: string, sid: string): Promise<string> {
  return new SignJWT({ scopes: ["chainbot:admin"], sid })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(SECRET));
}

afterEach(async () => {
  // Leave no runtime override behind for other files.
  await call("/api/chainbot/config", { method: "PATCH", body: { "database.url": null }, token: await ADMIN() });
  await call("/api/chainbot/start", { method: "POST", token: await ADMIN() });
});

describe("maskSecrets", () => {
  it("should mask by key name at any depth and keep the structure", ({ expect }) => {
    expect(
      maskSecrets({
        api_key: "abc",
        nested: { Password: "hunter2", headers: { Authorization: "x" }, list: [{ access_token: "t" }] },
        credentials: { user: "u", pass: "p" },
        max_tokens: 1024,
        name: "ok",
      }),
    ).toEqual({
      api_key: "***",
      nested: { Password: "***", headers: { Authorization: "***" }, list: [{ access_token: "***" }] },
      credentials: { user: "***", pass: "***" },
      max_tokens: 1024,
      name: "ok",
    });
  });

  it("should mask secret-shaped values wherever they appear in a string", ({ expect }) => {
    expect(maskString("key sk-ant-api03-abcdefghijkl here")).toBe("key sk-*** here");
    expect(maskString(`id=${JWT}!`)).toBe("id=***jwt***!");
    expect(maskString("Authorization: Bearer abc.def-123")).toBe("Authorization: Bearer ***");
    expect(maskString("postgresql://user:hunter2@db.local/chainbot")).toBe("postgresql://user:***@db.local/chainbot");
    expect(maskString("bpk_0123456789abcdef and ghp_abcdefghijklmnop")).toBe("bpk_*** and ghp_***");
    expect(maskString("nothing secret, 42 steps")).toBe("nothing secret, 42 steps");
    expect(maskSecrets({ note: [`Bearer ${JWT}`, { deep: "sk-live-0123456789" }] })).toEqual({
      note: ["Bearer ***", { deep: "sk-***" }],
    });
  });
});

describe("audit rows written by ChainBot routes", () => {
  it("should record a change with the seed's fields, its session, and no secret in the stored row", async ({
    expect,
  }) => {
    const user = uniqueId("auditor");
    const res = await call("/api/chainbot/config", {
      method: "PATCH",
      body: { "database.url": "postgresql://chain:hunter2@db.internal/chainbot" },
      token: await sessionToken(user, "sess-42"),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).not.toContain("hunter2");

    const { entries } = await audit(`user=${user}`);
    expect(entries).toHaveLength(1);
    const [entry] = entries;
    expect(entry).toMatchObject({
      user_id: user,
      session_id: "jwt:sess-42",
      action: "config.update",
      resource: "config",
      outcome: "success",
      status: 200,
      error: null,
      metadata: {
        method: "PATCH",
        path: "/api/chainbot/config",
        set: { "database.url": "postgresql://chain:***@db.internal/chainbot" },
        removed: [],
      },
    });
    expect(Date.parse(entry?.timestamp ?? "")).toBeGreaterThan(Date.now() - 60_000);

    const stored = await env.DB.prepare("SELECT * FROM chainbot_audit WHERE user_id = ?").bind(user).all();
    expect(stored.results).toHaveLength(1);
    expect(JSON.stringify(stored.results)).not.toContain("hunter2");
  });

  it("should record refused calls as failures: 403 with the user, 401 as anonymous, 400 with the field", async ({
    expect,
  }) => {
    const user = uniqueId("intruder");
    const denied = await call("/api/chainbot/stop", {
      method: "POST",
      token: await token(["chainbot:read"], { sub: user }),
    });
    expect(denied.status).toBe(403);
    const bad = await call("/api/chainbot/config", {
      method: "PATCH",
      body: { "workflow.retry_attempts": -1 },
      token: await token(["chainbot:admin"], { sub: user }),
    });
    expect(bad.status).toBe(400);
    const { entries } = await audit(`user=${user}`);
    expect(entries.map((e) => [e.action, e.outcome, e.status])).toEqual([
      ["config.update", "failure", 400],
      ["module.stop", "failure", 403],
    ]);
    expect(entries[0]?.error).toContain("body.workflow.retry_attempts");
    expect(entries[1]?.error).toBe("forbidden: missing scope 'chainbot:admin'");

    const before = (await audit("user=anonymous&action=module.start&limit=500")).entries.length;
    expect((await call("/api/chainbot/start", { method: "POST" })).status).toBe(401);
    const after = await audit("user=anonymous&action=module.start&limit=500");
    expect(after.entries.length).toBe(before + 1);
    expect(after.entries[0]).toMatchObject({ outcome: "failure", status: 401, session_id: null });
  });

  it("should answer the request when the audit row cannot be written, and log the failure", async ({ expect }) => {
    const user = uniqueId("no-audit");
    const brokenAudit = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "prepare")
          return (query: string) => {
            if (query.includes("chainbot_audit")) throw new Error("D1 audit table unavailable");
            return target.prepare(query);
          };
        const value: unknown = Reflect.get(target, prop);
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const ctx = createExecutionContext();
      const res = await worker.fetch(
        new Request("https://botplane.test/api/chainbot/stop", {
          method: "POST",
          headers: { authorization: `Bearer ${await token(["chainbot:admin"], { sub: user })}` },
        }),
        { ...env, DB: brokenAudit },
        ctx,
      );
      await waitOnExecutionContext(ctx);
      expect(res.status).toBe(200);
      expect((await json<{ status: string }>(res)).status).toBe("stopped");
      const logged = errors.mock.calls.map((args) => String(args[0])).filter((l) => l.includes("audit write failed"));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toContain(user);
    } finally {
      errors.mockRestore();
    }
    expect((await audit(`user=${user}`)).entries).toEqual([]);
  });
});

describe("GET /api/chainbot/audit", () => {
  it("should filter by user, action, resource, outcome and time, and page with a cursor", async ({ expect }) => {
    const user = uniqueId("pager");
    const auth = await token(["chainbot:admin"], { sub: user });
    const start = Date.now();
    for (let i = 0; i < 5; i++) {
      const action = i % 2 === 0 ? "stop" : "start";
      expect((await call(`/api/chainbot/${action}`, { method: "POST", token: auth })).status).toBe(200);
    }
    const all = await audit(`user=${user}&limit=500`);
    expect(all.entries.map((e) => e.action)).toEqual([
      "module.stop",
      "module.start",
      "module.stop",
      "module.start",
      "module.stop",
    ]);
    expect(all.next_cursor).toBeNull();

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: AuditList = await audit(`user=${user}&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...page.entries.map((e) => e.id));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(all.entries.map((e) => e.id));

    expect((await audit(`user=${user}&action=module.start`)).entries).toHaveLength(2);
    expect((await audit(`user=${user}&resource=module&outcome=success`)).entries).toHaveLength(5);
    expect((await audit(`user=${user}&outcome=failure`)).entries).toHaveLength(0);
    expect((await audit(`user=${user}&since=${new Date(start - 1000).toISOString()}`)).entries).toHaveLength(5);
    expect((await audit(`user=${user}&until=${start - 1000}`)).entries).toHaveLength(0);
  });

  it("should answer 400 naming the bad filter or cursor", async ({ expect }) => {
    for (const [query, field] of [
      ["outcome=maybe", "query.outcome"],
      ["since=yesterday", "query.since"],
      ["limit=0", "query.limit"],
      ["cursor=bogus", "query.cursor"],
    ]) {
      const res = await call(`/api/chainbot/audit?${query}`, { token: await ADMIN() });
      expect(res.status, query).toBe(400);
      expect((await json<{ error: { message: string } }>(res)).error.message, query).toContain(field);
    }
  });
});
