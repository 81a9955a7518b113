/**
 * The Discord identity bindings: `PUT/DELETE /api/v1/chat/discord-bindings/{discord_user_id}` and the list,
 * and which binding an interaction resolves to (a guild's own binding wins over the any-guild one).
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { resolveBinding } from "../../workers/chat/discord/bindings";
import { ADMIN, call, json } from "./helpers";

const path = (id: string, query = "") => `/api/v1/chat/discord-bindings/${id}${query}`;

interface Binding {
  discord_user_id: string;
  guild_id: string | null;
  user_id: string;
  workspace_id: string;
}

describe("PUT/DELETE /api/v1/chat/discord-bindings/{discord_user_id}", () => {
  it("should create, replace, list and remove a binding", async ({ expect }) => {
    const auth = await ADMIN();
    const created = await call(path("300000000000000001"), {
      method: "PUT",
      token: auth,
      body: { user_id: "founder-a", workspace_id: "ws-a" },
    });
    expect(created.status).toBe(201);
    expect(await json<Binding>(created)).toMatchObject({
      discord_user_id: "300000000000000001",
      guild_id: null,
      user_id: "founder-a",
      workspace_id: "ws-a",
    });
    const replaced = await call(path("300000000000000001"), {
      method: "PUT",
      token: auth,
      body: { user_id: "founder-b" },
    });
    expect(replaced.status).toBe(200);
    expect(await json<Binding>(replaced)).toMatchObject({ user_id: "founder-b", workspace_id: "founder-b" });
    const list = await json<{ bindings: Binding[] }>(await call("/api/v1/chat/discord-bindings", { token: auth }));
    expect(list.bindings.filter((b) => b.discord_user_id === "300000000000000001")).toMatchObject([
      { guild_id: null, user_id: "founder-b", workspace_id: "founder-b" },
    ]);
    expect((await call(path("300000000000000001"), { method: "DELETE", token: auth })).status).toBe(204);
    const again = await call(path("300000000000000001"), { method: "DELETE", token: auth });
    expect(again.status).toBe(404);
    expect((await json<{ error: { code: string } }>(again)).error.code).toBe("discord_binding_not_found");
  });

  it("should resolve a guild's own binding before the any-guild one, and the any-guild one elsewhere", async ({
    expect,
  }) => {
    const auth = await ADMIN();
    const user = "300000000000000002";
    await call(path(user), { method: "PUT", token: auth, body: { user_id: "founder-any", workspace_id: "ws-any" } });
    await call(path(user), {
      method: "PUT",
      token: auth,
      body: { user_id: "founder-guild", workspace_id: "ws-guild", guild_id: "400000000000000001" },
    });
    try {
      expect((await resolveBinding(env, user, "400000000000000001"))?.userId).toBe("founder-guild");
      expect((await resolveBinding(env, user, "400000000000000009"))?.userId).toBe("founder-any");
      expect((await resolveBinding(env, user, null))?.userId).toBe("founder-any");
      expect(await resolveBinding(env, "300000000000000099", null)).toBeNull();
    } finally {
      await call(path(user, "?guild_id=400000000000000001"), { method: "DELETE", token: auth });
      await call(path(user), { method: "DELETE", token: auth });
    }
  });

  it("should keep the binding's trust mode and cap what sessions open at by the discord surface", async ({
    expect,
  }) => {
    const auth = await ADMIN();
    const user = "300000000000000003";
    try {
      const plain = await call(path(user), { method: "PUT", token: auth, body: { user_id: "founder-t" } });
      expect(await json<Binding>(plain)).toMatchObject({ trust_mode: 0, effective_trust_mode: 0 });
      const high = await call(path(user), {
        method: "PUT",
        token: auth,
        body: { user_id: "founder-t", trust_mode: 3 },
      });
      expect(high.status).toBe(200);
      expect(await json<Binding>(high)).toMatchObject({ trust_mode: 3, effective_trust_mode: 1 });
      const bad = await call(path(user), { method: "PUT", token: auth, body: { user_id: "founder-t", trust_mode: 4 } });
      expect(bad.status).toBe(400);
      expect((await json<{ error: { message: string } }>(bad)).error.message).toContain("trust_mode");
    } finally {
      await call(path(user), { method: "DELETE", token: auth });
    }
  });

  it("should refuse a discord_user_id that is not a snowflake with 400", async ({ expect }) => {
    const res = await call(path("not-a-snowflake"), { method: "PUT", token: await ADMIN(), body: { user_id: "f" } });
    expect(res.status).toBe(400);
    expect((await json<{ error: { message: string } }>(res)).error.message).toContain("param.discord_user_id");
  });
});
