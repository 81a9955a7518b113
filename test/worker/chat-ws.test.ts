/**
 * GET /ws through the Worker's entry against the fake OpenAI upstream (its echo model answers
 * `echo: <last user text>`, one word per streamed delta): the enforcer's checks on the upgrade, the token
 * from the header, the subprotocol or the query and never in a log, bad frames answered and the socket kept,
 * heartbeats, two sockets of one session seeing the same reply frames in the same order, the transcript the
 * same as /chat's, the context kept when the session's object is evicted, and the socket ended when its token
 * or its session expires.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, beforeAll, describe, it, vi } from "vitest";
import { chatRateKey } from "../../workers/chat/limits/chat-rate";
import { call, json, uniqueId } from "./helpers";
import { auditRows, clearLimitKeys, founderToken, limitKey, useChatModel } from "./chat-support";
import { recorded } from "./provider-fixtures";
import { openChatSocket, tokenText, upgrade, type ChatSocket } from "./support/chat-socket";
import { setClockLead } from "./support/clock";

const MODEL = `echo~${uniqueId("chatws")}`;
const open: ChatSocket[] = [];

async function socket(query: string, opts: Parameters<typeof openChatSocket>[1] = {}): Promise<ChatSocket> {
  const s = await openChatSocket(query, opts);
  open.push(s);
  return s;
}

async function errorOf(res: Response): Promise<{ status: number; code: string }> {
  const body = await json<{ error: { code: string } }>(res);
  return { status: res.status, code: body.error.code };
}

beforeAll(async () => {
  await useChatModel(MODEL);
});

afterEach(() => {
  for (const s of open.splice(0)) s.close();
  vi.restoreAllMocks();
});

describe("GET /ws auth", () => {
  it("should answer 401 without a token and 426 without an upgrade", async ({ expect }) => {
    expect(await errorOf(await upgrade(""))).toEqual({ status: 401, code: "unauthorized" });
    const auth = await founderToken({ user_id: uniqueId("f") });
    expect(await errorOf(await call("/ws", { token: auth }))).toEqual({ status: 426, code: "upgrade_required" });
  });

  it("should answer 403 for a token without chat:write and for a surface the token does not allow", async ({
    expect,
  }) => {
    const founder = uniqueId("f");
    const readOnly = await founderToken({ user_id: founder, scopes: ["chat:read"] });
    expect(await errorOf(await upgrade("", { token: readOnly }))).toEqual({ status: 403, code: "forbidden" });
    const smsOnly = await founderToken({ user_id: founder, surfaces: ["sms"] });
    expect(await errorOf(await upgrade("?surface=web", { token: smsOnly }))).toEqual({
      status: 403,
      code: "surface_not_allowed",
    });
    const rows = await auditRows(founder);
    expect(rows.map((r) => [r.operation, r.surface, r.outcome, r.code])).toEqual([
      ["chat:write", "web", "denied", "forbidden"],
      ["chat:write", "web", "denied", "surface_not_allowed"],
    ]);
  });

  it("should answer 403 for a trust mode above the token's ceiling", async ({ expect }) => {
    const auth = await founderToken({ user_id: uniqueId("f"), trust_mode_max: 1 });
    expect(await errorOf(await upgrade("?trust_mode=2", { token: auth }))).toEqual({
      status: 403,
      code: "trust_mode_exceeded",
    });
  });

  it("should take the token from the subprotocol, echo only botplane.chat, and never log the token", async ({
    expect,
  }) => {
    const lines: string[] = [];
    for (const method of ["log", "info", "warn", "error", "debug"] as const)
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
      });
    const founder = uniqueId("f");
    const jwt = await founderToken({ user_id: founder });
    const s = await socket("", { headers: { "sec-websocket-protocol": `botplane.chat, access_token.${jwt}` } });
    expect(s.response.headers.get("sec-websocket-protocol")).toBe("botplane.chat");
    expect(s.connectFrame()).toMatchObject({
      founder_id: founder,
      surface: "web",
      created: true,
      protocol: "botplane.chat",
    });
    s.send({ type: "message", text: "secret handshake" });
    expect(tokenText(await s.finished())).toBe("echo: secret handshake");
    // And from the query, for clients that can set neither.
    const q = await socket(`?access_token=${jwt}&surface=extension`);
    expect(q.connectFrame().surface).toBe("extension");
    expect(q.response.headers.get("sec-websocket-protocol")).toBe(null);
    const rows = await auditRows(founder);
    expect(rows.map((r) => [r.operation, r.outcome, r.credential])).toEqual([
      ["chat:write", "allowed", `***${jwt.slice(-4)}`],
      ["chat:write", "allowed", `***${jwt.slice(-4)}`],
    ]);
    expect(JSON.stringify(rows)).not.toContain(jwt.slice(0, 20));
    expect(lines.filter((l) => l.includes(jwt.slice(0, 20)) || l.includes(jwt.slice(-20)))).toEqual([]);
  });

  it("should answer 404 for another founder's session, as /chat does", async ({ expect }) => {
    const owner = await socket("", { token: await founderToken({ user_id: uniqueId("f") }) });
    const other = await founderToken({ user_id: uniqueId("f") });
    const res = await upgrade(`?session_id=${owner.connectFrame().session_id}`, { token: other });
    expect(await errorOf(res)).toEqual({ status: 404, code: "session_not_found" });
  });
});

describe("GET /ws frames", () => {
  it("should answer a bad frame with an error frame and keep the socket", async ({ expect }) => {
    const s = await socket("", { token: await founderToken({ user_id: uniqueId("f") }) });
    s.send("not json");
    s.send({ type: "message" });
    s.send({ type: "shout", text: "hi" });
    s.send({ type: "message", text: "still here" });
    const reply = await s.finished();
    expect(s.frames.slice(1, 3)).toEqual([
      { type: "error", error: { code: "invalid_frame", message: "the frame is not JSON" } },
      {
        type: "error",
        error: {
          code: "invalid_frame",
          message: "text: Invalid input: expected string, received undefined",
          details: { issues: [{ field: "text", message: "Invalid input: expected string, received undefined" }] },
        },
      },
    ]);
    const unknown = s.frames[3];
    expect(unknown?.type === "error" ? [unknown.error.code, unknown.error.message.split(":")[0]] : unknown).toEqual([
      "invalid_frame",
      "type",
    ]);
    expect(tokenText(reply)).toBe("echo: still here");
  });

  it("should answer heartbeats, from the runtime and from the object alike", async ({ expect }) => {
    const s = await socket("", { token: await founderToken({ user_id: uniqueId("f") }) });
    s.send('{"type":"heartbeat"}');
    s.send({ type: "heartbeat", at: 12345 });
    await s.until("two heartbeats", (f) => f.filter((x) => x.type === "heartbeat").length === 2);
    expect(s.raw.slice(1)).toEqual(['{"type":"heartbeat","ack":true}', '{"type":"heartbeat","ack":true}']);
  });

  it("should answer disconnect and close the socket", async ({ expect }) => {
    const s = await socket("", { token: await founderToken({ user_id: uniqueId("f") }) });
    s.send({ type: "disconnect" });
    await s.until("the close", () => s.closeCode !== null);
    expect(s.frames.at(-1)).toEqual({ type: "disconnect", reason: "client_requested" });
    expect(s.closeCode).toBe(1000);
  });
});

describe("GET /ws sessions", () => {
  it("should stream one reply to every socket of the session in the same order", async ({ expect }) => {
    const auth = await founderToken({ user_id: uniqueId("f") });
    const laptop = await socket("", { token: auth });
    const sessionId = laptop.connectFrame().session_id;
    const phone = await socket(`?session_id=${sessionId}&surface=extension`, { token: auth });
    expect(phone.connectFrame()).toMatchObject({ session_id: sessionId, created: false });
    phone.send({ type: "message", text: "plan my week please", client_id: "m1" });
    const seen = await phone.finished();
    await laptop.finished();
    expect(laptop.raw.slice(1)).toEqual(phone.raw.slice(1));
    expect(seen.map((f) => [f.seq, f.event])).toEqual([
      [0, "start"],
      [1, "token"],
      [2, "token"],
      [3, "token"],
      [4, "token"],
      [5, "token"],
      [6, "done"],
    ]);
    expect(seen[0]).toMatchObject({ message: "plan my week please", client_id: "m1" });
    const done = seen.at(-1);
    expect(done).toMatchObject({
      event: "done",
      session_id: sessionId,
      reply: "echo: plan my week please",
      usage: { output_tokens: 5 },
      context: { turns: 2, folded: 0, summarized: false },
    });
    expect(tokenText(seen)).toBe("echo: plan my week please");
    // The transcript is /chat's: the session holds both turns, and /chat continues the same conversation.
    const res = await call("/chat", { token: auth, body: { message: "and after that", session_id: sessionId } });
    expect((await json<{ context: { turns: number } }>(res)).context.turns).toBe(4);
    const state = await json<{ context: { role: string; content: string }[] }>(
      await call(`/session/${sessionId}`, { token: auth }),
    );
    expect(state.context.map((t) => [t.role, t.content])).toEqual([
      ["user", "plan my week please"],
      ["assistant", "echo: plan my week please"],
      ["user", "and after that"],
      ["assistant", "echo: and after that"],
    ]);
    const { results } = await env.DB.prepare(
      "SELECT surface, messages FROM transcripts WHERE session_id = ? ORDER BY created_at, rowid",
    )
      .bind(sessionId)
      .all<{ surface: string; messages: string }>();
    // One transcript row per turn, whichever way it came in (the socket's on its own surface).
    expect(results.map((r) => [r.surface, r.messages.includes("plan my week please")])).toEqual([
      ["extension", true],
      ["web", false],
    ]);
  });

  it("should end a message over the founder's rate limit in a rate_limited error frame", async ({ expect }) => {
    const founder = uniqueId("f-rl");
    const key = chatRateKey(founder, "web");
    await limitKey(key, 1);
    try {
      const s = await socket("", { token: await founderToken({ user_id: founder }) });
      s.send({ type: "message", text: "first" });
      const first = await s.finished();
      expect(first.at(-1)?.event).toBe("done");
      s.send({ type: "message", text: "second" });
      await s.until("the second reply's end", () => s.responses().filter((f) => f.event === "start").length === 2);
      const second = await s.finished(s.responses().filter((f) => f.event === "start")[1]?.reply_id);
      const end = second.at(-1);
      expect(end?.event === "error" ? end.error.code : end?.event).toBe("rate_limited");
    } finally {
      await clearLimitKeys();
    }
  });

  it("should keep the context when the session's object is evicted between messages", async ({ expect }) => {
    const auth = await founderToken({ user_id: uniqueId("f") });
    const marker = uniqueId("codeword");
    const first = await socket("", { token: auth });
    const sessionId = first.connectFrame().session_id;
    first.send({ type: "message", text: `the code word is ${marker}` });
    await first.finished();
    await evictDurableObject(env.CHAT_SESSION.getByName(sessionId));
    const again = await socket(`?session_id=${sessionId}`, { token: auth });
    expect(again.connectFrame().last_reply).toMatchObject({ status: "done", last_seq: 7 });
    again.send({ type: "message", text: "which code word" });
    const reply = await again.finished();
    expect(reply.at(-1)).toMatchObject({ event: "done", context: { turns: 4 } });
    const last = (await recorded(MODEL)).filter((r) => JSON.stringify(r.body).includes("which code word")).at(-1);
    const messages = (last?.body as { messages: { role: string; content: unknown }[] }).messages;
    expect(messages.filter((m) => m.role !== "system").map((m) => m.content)).toEqual([
      `the code word is ${marker}`,
      `echo: the code word is ${marker}`,
      "which code word",
    ]);
  });
});

describe("GET /ws endings", () => {
  it("should refuse a message after the token's expiry, say why and close 4401", async ({ expect }) => {
    const auth = await founderToken({ user_id: uniqueId("f") });
    const s = await socket("", { token: auth });
    const stub = env.CHAT_SESSION.getByName(s.connectFrame().session_id);
    try {
      // The founder token lives an hour; two hours later the socket is still open but its token is not valid.
      await setClockLead(stub, 2 * 3600_000);
      s.send({ type: "message", text: "too late" });
      await s.until("the close", () => s.closeCode !== null);
    } finally {
      await setClockLead(stub, 0);
    }
    expect(s.frames.slice(1)).toEqual([
      { type: "error", error: { code: "token_expired", message: "token expired: reconnect with a fresh token" } },
      { type: "disconnect", reason: "token_expired" },
    ]);
    expect(s.closeCode).toBe(4401);
  });

  it("should tell every socket and close them when the session expires", async ({ expect }) => {
    const auth = await founderToken({ user_id: uniqueId("f") });
    const a = await socket("", { token: auth });
    const sessionId = a.connectFrame().session_id;
    const b = await socket(`?session_id=${sessionId}`, { token: auth });
    const stub = env.CHAT_SESSION.getByName(sessionId);
    try {
      await setClockLead(stub, 24 * 3600_000 + 1000);
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      await a.until("a closed", () => a.closeCode !== null);
      await b.until("b closed", () => b.closeCode !== null);
    } finally {
      await setClockLead(stub, 0);
    }
    for (const s of [a, b]) {
      expect(s.frames.slice(1)).toEqual([{ type: "disconnect", reason: "session_expired" }]);
      expect(s.closeCode).toBe(4404);
    }
    const again = await upgrade(`?session_id=${sessionId}`, { token: auth });
    expect(await errorOf(again)).toEqual({ status: 404, code: "session_not_found" });
  });
});
