/**
 * The operators' chat read routes through the Worker's entry (scope `admin`): sessions known from transcripts
 * filtered by workspace and founder and paged by cursor, a session's transcript with phone numbers and
 * tokens masked and Sovereign (mode 3) rows shown as counts only, and every scheduled job of a workspace.
 */
import { beforeAll, describe, it } from "vitest";
import { founderToken, useChatModel } from "./chat-support";
import { ADMIN, call, json, uniqueId } from "./helpers";

interface SessionRow {
  session_id: string;
  workspace_id: string;
  founder_id: string | null;
  namespace: string;
  surface: string | null;
  trust_mode: number | null;
  turns: number;
}
interface SessionPage {
  sessions: SessionRow[];
  next_cursor: string | null;
}
interface TranscriptPage {
  session_id: string;
  rows: {
    surface: string | null;
    trust_mode: number | null;
    namespace: string;
    message_count: number;
    redacted: boolean;
    messages: { role: string; content: { type: string; text: string }[] }[] | null;
  }[];
  next_cursor: string | null;
}

beforeAll(async () => {
  await useChatModel(`echo~${uniqueId("chat-admin")}`);
});

async function say(auth: string, message: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await call("/chat", { token: auth, body: { message, ...extra } });
  if (res.status !== 200) throw new Error(`chat: ${res.status} ${await res.text()}`);
  return (await json<{ session_id: string }>(res)).session_id;
}

async function adminGet<T>(path: string): Promise<T> {
  const res = await call(path, { token: await ADMIN() });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return json<T>(res);
}

describe("GET /api/v1/chat/sessions", () => {
  it("should list one row per session of the workspace, latest first, filtered by founder and paged", async ({
    expect,
  }) => {
    const workspace = uniqueId("ws");
    const [alice, bob] = [uniqueId("alice"), uniqueId("bob")];
    const aliceAuth = await founderToken({ user_id: alice, workspace_id: workspace, trust_mode_max: 3 });
    const bobAuth = await founderToken({ user_id: bob, workspace_id: workspace });
    const first = await say(aliceAuth, "first", { trust_mode: 1 });
    await say(aliceAuth, "second", { session_id: first });
    const sovereign = await say(aliceAuth, "private", { trust_mode: 3 });
    const bobs = await say(bobAuth, "hello", { surface: "extension" });

    const all = await adminGet<SessionPage>(`/api/v1/chat/sessions?workspace_id=${workspace}`);
    expect(all.next_cursor).toBeNull();
    expect(
      all.sessions.map((s) => [s.session_id, s.founder_id, s.surface, s.trust_mode, s.namespace, s.turns]),
    ).toEqual([
      [bobs, bob, "extension", 0, "wb", 1],
      [sovereign, alice, "web", 3, "wbs", 1],
      [first, alice, "web", 1, "wb", 2],
    ]);

    const onlyAlice = await adminGet<SessionPage>(
      `/api/v1/chat/sessions?workspace_id=${workspace}&founder_id=${alice}`,
    );
    expect(onlyAlice.sessions.map((s) => s.session_id)).toEqual([sovereign, first]);

    const page1 = await adminGet<SessionPage>(`/api/v1/chat/sessions?workspace_id=${workspace}&limit=2`);
    expect(page1.sessions.map((s) => s.session_id)).toEqual([bobs, sovereign]);
    const cursor = page1.next_cursor ?? "";
    const page2 = await adminGet<SessionPage>(
      `/api/v1/chat/sessions?workspace_id=${workspace}&limit=2&cursor=${cursor}`,
    );
    expect(page2).toEqual({ sessions: [all.sessions[2]], next_cursor: null });
  });

  it("should refuse a founder token with 403 and a forged cursor with 400", async ({ expect }) => {
    const founder = await call("/api/v1/chat/sessions", { token: await founderToken() });
    expect(founder.status).toBe(403);
    await founder.body?.cancel();
    const bad = await call("/api/v1/chat/sessions?cursor=nonsense", { token: await ADMIN() });
    expect(bad.status).toBe(400);
    expect((await json<{ error: { message: string } }>(bad)).error.message).toBe(
      "query.cursor: not a cursor this API returned",
    );
  });
});

describe("GET /api/v1/chat/sessions/{id}/transcript", () => {
  it("should show the rows with phone numbers and tokens masked", async ({ expect }) => {
    const auth = await founderToken({ user_id: uniqueId("f"), workspace_id: uniqueId("ws") });
    const session = await say(auth, "call me on +1 (555) 123-4567 with key sk-live-abcdefghijklmnop1234");
    const page = await adminGet<TranscriptPage>(`/api/v1/chat/sessions/${session}/transcript`);
    expect(page.next_cursor).toBeNull();
    expect(page.rows).toHaveLength(1);
    const row = page.rows[0];
    expect(row?.redacted).toBe(false);
    expect(row?.message_count).toBe(2);
    expect(row?.messages?.map((m) => m.content.map((b) => b.text).join(""))).toEqual([
      "call me on +*********67 with key ***1234",
      "echo: call me on +*********67 with key ***1234",
    ]);
  });

  it("should show a Sovereign row as a count only, page with a cursor, and 404 an unknown session", async ({
    expect,
  }) => {
    const auth = await founderToken({ user_id: uniqueId("f"), workspace_id: uniqueId("ws"), trust_mode_max: 3 });
    const session = await say(auth, "my secret plan", { trust_mode: 3 });
    await say(auth, "and more", { session_id: session, trust_mode: 3 });
    const page1 = await adminGet<TranscriptPage>(`/api/v1/chat/sessions/${session}/transcript?limit=1`);
    expect(page1.rows).toEqual([
      {
        ...page1.rows[0],
        surface: "web",
        trust_mode: 3,
        namespace: "wbs",
        message_count: 2,
        redacted: true,
        messages: null,
      },
    ]);
    const page2 = await adminGet<TranscriptPage>(
      `/api/v1/chat/sessions/${session}/transcript?limit=1&cursor=${page1.next_cursor ?? ""}`,
    );
    expect(page2.rows.map((r) => [r.redacted, r.messages])).toEqual([[true, null]]);
    expect(page2.next_cursor).toBeNull();
    const unknown = await call(`/api/v1/chat/sessions/${crypto.randomUUID()}/transcript`, { token: await ADMIN() });
    expect(unknown.status).toBe(404);
    expect((await json<{ error: { code: string } }>(unknown)).error.code).toBe("session_not_found");
  });
});

describe("GET /api/v1/chat/workspaces/{id}/scheduled-jobs", () => {
  it("should list every founder's jobs of the workspace for an operator", async ({ expect }) => {
    const workspace = uniqueId("ws");
    const founders = [uniqueId("a"), uniqueId("b")];
    for (const [i, founder] of founders.entries()) {
      const auth = await founderToken({ user_id: founder, workspace_id: workspace });
      const res = await call("/api/v1/chat/scheduled-jobs", {
        token: auth,
        body: { type: i === 0 ? "standup" : "weekly", schedule: "0 9 * * 1" },
      });
      expect(res.status).toBe(201);
      await res.body?.cancel();
    }
    const body = await adminGet<{ jobs: { founder_id: string; type: string; schedule: string }[] }>(
      `/api/v1/chat/workspaces/${workspace}/scheduled-jobs`,
    );
    expect(body.jobs.map((j) => [j.founder_id, j.type, j.schedule]).sort()).toEqual(
      [
        [founders[0], "standup", "0 9 * * 1"],
        [founders[1], "weekly", "0 9 * * 1"],
      ].sort(),
    );
  });
});
