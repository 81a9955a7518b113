/**
 * POST /chat and the Session object through the Worker's entry, against the fake OpenAI upstream (its echo
 * model answers `echo: <last user text>`): a reply with usage and cost; the session readable by its owner
 * only; the context surviving an eviction mid-conversation; the oldest turns folded into a rolling summary
 * once over the token budget; the TTL expiring the session by alarm; every turn in transcripts; mode-3
 * sessions invisible to lower modes; SSE frames with `stream: true`.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, it } from "vitest";
import type { Session } from "../../durable-objects/session";
import { call, json, uniqueId } from "./helpers";
import { founderToken, useChatModel } from "./chat-support";
import { recorded } from "./provider-fixtures";
import { setClockLead } from "./support/clock";

const MODEL = `echo~${uniqueId("chat")}`;

interface ChatReply {
  session_id: string;
  reply: string;
  trust_mode: number;
  usage: { input_tokens: number; output_tokens: number };
  cost_usd: number | null;
  model: { variant: string; provider: string; model: string } | null;
  tool_calls: { name: string; status: string }[];
  context: { turns: number; folded: number; summarized: boolean };
}

interface SessionBody {
  id: string;
  founder_id: string;
  trust_mode: number;
  summary: string | null;
  context: { role: string; content: string }[];
}

async function say(auth: string, message: string, extra: Record<string, unknown> = {}): Promise<ChatReply> {
  const res = await call("/chat", { token: auth, body: { message, ...extra } });
  if (res.status !== 200) throw new Error(`chat: ${res.status} ${await res.text()}`);
  return json<ChatReply>(res);
}

beforeAll(async () => {
  await useChatModel(MODEL);
});

describe("POST /chat", () => {
  it("should answer through the model gateway with usage and the model that served", async ({ expect }) => {
    const auth = await founderToken({ user_id: uniqueId("f") });
    const body = await say(auth, "hello there wirebot");
    expect(body.reply).toBe("echo: hello there wirebot");
    expect(body.model).toEqual({ variant: "only", provider: "fake_openai", model: MODEL });
    expect(body.usage.output_tokens).toBe(4);
    expect(body.usage.input_tokens).toBeGreaterThan(0);
    expect(body.tool_calls).toEqual([]);
    expect(body.context).toEqual({ turns: 2, folded: 0, summarized: false });
    // A trust-0 token is offered the surface's tools (each names its trust mode), in-process, once.
    const sent = (await recorded(MODEL)).filter((r) => JSON.stringify(r.body).includes("hello there wirebot"));
    expect(sent.length).toBe(1);
  });

  it("should answer plain text within the surface's length on SMS", async ({ expect }) => {
    const auth = await founderToken({ user_id: uniqueId("f") });
    const body = await say(auth, "**bold** and `code` with [a link](https://example.com)", { surface: "sms" });
    expect(body.reply).toBe("echo: bold and code with a link (https://example.com)");
    expect(body.trust_mode).toBe(0);
    const long = await say(auth, "word ".repeat(400), { surface: "sms" });
    expect(long.reply.length).toBe(1600);
    expect(long.reply.endsWith("…")).toBe(true);
  });

  it("should keep the conversation in the session and show it to its owner only", async ({ expect }) => {
    const founder = uniqueId("f");
    const auth = await founderToken({ user_id: founder });
    const first = await say(auth, "my name is Zed");
    const second = await say(auth, "what is my name", { session_id: first.session_id });
    expect(second.session_id).toBe(first.session_id);
    expect(second.context.turns).toBe(4);
    const res = await call(`/session/${first.session_id}`, { token: auth });
    expect(res.status).toBe(200);
    const session = await json<SessionBody>(res);
    expect(session.founder_id).toBe(founder);
    expect(session.context.map((t) => [t.role, t.content])).toEqual([
      ["user", "my name is Zed"],
      ["assistant", "echo: my name is Zed"],
      ["user", "what is my name"],
      ["assistant", "echo: what is my name"],
    ]);
    // Someone else: the same 404 as a session that does not exist, for reading and for resuming.
    const other = await founderToken({ user_id: uniqueId("other") });
    const peek = await call(`/session/${first.session_id}`, { token: other });
    expect(peek.status).toBe(404);
    expect((await json<{ error: { code: string } }>(peek)).error.code).toBe("session_not_found");
    const hijack = await call("/chat", { token: other, body: { message: "hi", session_id: first.session_id } });
    expect(hijack.status).toBe(404);
  });

  it("should keep its context when the session's object is evicted mid-conversation", async ({ expect }) => {
    const auth = await founderToken({ user_id: uniqueId("f") });
    const marker = uniqueId("remember");
    const first = await say(auth, `the code word is ${marker}`);
    await evictDurableObject(env.CHAT_SESSION.getByName(first.session_id));
    const second = await say(auth, "which code word", { session_id: first.session_id });
    expect(second.context.turns).toBe(4);
    // The model saw the first exchange again after the eviction.
    const last = (await recorded(MODEL)).filter((r) => JSON.stringify(r.body).includes("which code word")).at(-1);
    const messages = (last?.body as { messages: { role: string; content: unknown }[] }).messages;
    expect(messages.filter((m) => m.role !== "system").map((m) => m.content)).toEqual([
      `the code word is ${marker}`,
      `echo: the code word is ${marker}`,
      "which code word",
    ]);
  });

  it("should fold the oldest turns into a rolling summary once over the token budget", async ({ expect }) => {
    const auth = await founderToken({ user_id: uniqueId("f") });
    // ~1,500 estimated tokens a message, its echo as much again: the 4,000-token budget holds one exchange.
    const long = (tag: string) => `${tag} ${"lorem ipsum dolor ".repeat(330)}`;
    const first = await say(auth, long("alpha"));
    expect(first.context).toEqual({ turns: 2, folded: 0, summarized: false });
    const second = await say(auth, long("bravo"), { session_id: first.session_id });
    expect(second.context).toEqual({ turns: 2, folded: 2, summarized: true });
    const session = await json<SessionBody>(await call(`/session/${first.session_id}`, { token: auth }));
    expect(session.context.map((t) => t.content.slice(0, 11))).toEqual(["bravo lorem", "echo: bravo"]);
    // The summary came from the model gateway, given the folded turns (the echo model repeats its prompt).
    expect(session.summary).toContain("alpha lorem");
    expect(session.summary?.startsWith("echo: Previous summary:")).toBe(true);
    // The next turn sends the summary (in the system prompt) and only the turns still in context.
    await say(auth, "and now", { session_id: first.session_id });
    const last = (await recorded(MODEL)).filter((r) => JSON.stringify(r.body).includes("and now")).at(-1);
    const messages = (last?.body as { messages: { role: string; content: string }[] }).messages;
    expect(messages[0]?.role).toBe("system");
    expect(messages[0]?.content).toContain("Summary of the earlier conversation:\necho: Previous summary:");
    expect(messages.slice(1).map((m) => m.content.slice(0, 11))).toEqual(["bravo lorem", "echo: bravo", "and now"]);
  });

  it("should write every turn to transcripts", async ({ expect }) => {
    const auth = await founderToken({ user_id: uniqueId("f"), workspace_id: uniqueId("ws") });
    const first = await say(auth, "note one");
    await say(auth, "note two", { session_id: first.session_id });
    const { results } = await env.DB.prepare(
      "SELECT namespace, surface, messages FROM transcripts WHERE session_id = ? ORDER BY created_at, rowid",
    )
      .bind(first.session_id)
      .all<{ namespace: string; surface: string; messages: string }>();
    expect(results.map((r) => [r.namespace, r.surface, JSON.parse(r.messages) as unknown])).toEqual([
      [
        "wb",
        "web",
        [
          { role: "user", content: [{ type: "text", text: "note one" }] },
          { role: "assistant", content: [{ type: "text", text: "echo: note one" }] },
        ],
      ],
      [
        "wb",
        "web",
        [
          { role: "user", content: [{ type: "text", text: "note two" }] },
          { role: "assistant", content: [{ type: "text", text: "echo: note two" }] },
        ],
      ],
    ]);
  });

  it("should keep mode-3 (Sovereign) sessions and transcripts out of lower-mode sessions", async ({ expect }) => {
    const founder = uniqueId("f");
    const workspace = uniqueId("ws");
    const sovereign = await founderToken({ user_id: founder, workspace_id: workspace, trust_mode_max: 3 });
    const operator = await founderToken({ user_id: founder, workspace_id: workspace, trust_mode_max: 2 });
    const secret = await say(sovereign, "sovereign plans");
    expect(secret.trust_mode).toBe(3);
    expect((await call(`/session/${secret.session_id}`, { token: sovereign })).status).toBe(200);
    expect((await call(`/session/${secret.session_id}`, { token: operator })).status).toBe(404);
    const resume = await call("/chat", { token: operator, body: { message: "peek", session_id: secret.session_id } });
    expect(resume.status).toBe(404);
    const { results } = await env.DB.prepare("SELECT namespace FROM transcripts WHERE workspace_id = ?")
      .bind(workspace)
      .all<{ namespace: string }>();
    expect(results).toEqual([{ namespace: "wbs" }]);
  });

  it("should expire an idle session by alarm after its TTL", async ({ expect }) => {
    const auth = await founderToken({ user_id: uniqueId("f") });
    const first = await say(auth, "short lived");
    const stub = env.CHAT_SESSION.getByName(first.session_id);
    const DAY = 24 * 3600_000;
    try {
      // A minute before the TTL the alarm finds nothing due: the session stays.
      await setClockLead(stub, DAY - 60_000);
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      expect((await call(`/session/${first.session_id}`, { token: auth })).status).toBe(200);
      // A second past it, the alarm expires the session and its turns.
      await setClockLead(stub, DAY + 1000);
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      const counts = await runInDurableObject(stub, (_: Session, state) =>
        state.storage.sql.exec("SELECT (SELECT count(*) FROM session) AS s, (SELECT count(*) FROM turns) AS t").one(),
      );
      expect(counts).toEqual({ s: 0, t: 0 });
    } finally {
      await setClockLead(stub, 0);
    }
    expect((await call(`/session/${first.session_id}`, { token: auth })).status).toBe(404);
  });
});

describe("POST /chat with stream: true", () => {
  it("should stream tokens as Server-Sent Events, then the whole turn, then [DONE]", async ({ expect }) => {
    const auth = await founderToken({ user_id: uniqueId("f") });
    const res = await call("/chat", { token: auth, body: { message: "stream these words", stream: true } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const frames = (await res.text()).split("\n\n").filter(Boolean);
    expect(frames.at(-1)).toBe("data: [DONE]");
    const data = frames.slice(0, -1).map((f) => JSON.parse(f.replace(/^data: /, "")) as Record<string, unknown>);
    const tokens = data.filter((d) => d.type === "token").map((d) => d.text);
    expect(tokens.join("")).toBe("echo: stream these words");
    expect(tokens.length).toBeGreaterThan(1);
    const done = data.at(-1);
    expect(done).toMatchObject({ type: "done", reply: "echo: stream these words", context: { turns: 2 } });
    const session = await json<SessionBody>(await call(`/session/${String(done?.session_id)}`, { token: auth }));
    expect(session.context.map((t) => t.content)).toEqual(["stream these words", "echo: stream these words"]);
  });

  it("should answer a missing session with a plain 404 before any stream starts", async ({ expect }) => {
    const auth = await founderToken({ user_id: uniqueId("f") });
    const res = await call("/chat", {
      token: auth,
      body: { message: "x", stream: true, session_id: "00000000-0000-4000-8000-0000000000ff" },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await json(res)).toEqual({ error: { code: "session_not_found", message: "no such session" } });
  });
});
