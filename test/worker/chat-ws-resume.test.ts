/**
 * GET /ws resume, against a fake model that streams one word every 250 ms: a socket closed mid-reply that
 * reconnects with `resume_reply` + `after_seq` gets exactly the frames it missed and then the live rest,
 * nothing lost and nothing twice (checked against a socket that stayed connected); the `resume` frame does
 * the same later; messages sent together are answered one after the other; a reply an object reset left
 * streaming in storage ends, for whoever resumes it, in a `reply_interrupted` error.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeAll, describe, it } from "vitest";
import type { Session } from "../../durable-objects/session";
import { ReplyLog } from "../../durable-objects/session-replies";
import { uniqueId } from "./helpers";
import { founderToken, useChatModel } from "./chat-support";
import { openChatSocket, tokenText, type ChatSocket } from "./support/chat-socket";

const MODEL = `fake-slow-stream-250~${uniqueId("chatws-resume")}`;
const MESSAGE = "one two three four five six seven eight";
const open: ChatSocket[] = [];

async function socket(query: string, auth: string): Promise<ChatSocket> {
  const s = await openChatSocket(query, { token: auth });
  open.push(s);
  return s;
}

beforeAll(async () => {
  await useChatModel(MODEL);
});

afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

describe("GET /ws resume", () => {
  it("should resume a reply from the last seq a reconnecting socket got, then stream the rest live", async ({
    expect,
  }) => {
    const auth = await founderToken({ user_id: uniqueId("f") });
    const watcher = await socket("", auth);
    const sessionId = watcher.connectFrame().session_id;
    const phone = await socket(`?session_id=${sessionId}`, auth);
    phone.send({ type: "message", text: MESSAGE });
    await phone.until("two tokens", () => phone.responses().filter((f) => f.event === "token").length >= 2);
    phone.close();
    const got = phone.raw.slice(1);
    const last = phone.responses().at(-1);
    if (!last) throw new Error("no frames before the close");
    const back = await socket(`?session_id=${sessionId}&resume_reply=${last.reply_id}&after_seq=${last.seq}`, auth);
    // The reply was still streaming: what follows came partly from the log, partly live.
    expect(back.connectFrame().last_reply).toMatchObject({ reply_id: last.reply_id, status: "streaming" });
    await back.finished(last.reply_id);
    const all = await watcher.finished(last.reply_id);
    expect([...got, ...back.raw.slice(1)]).toEqual(watcher.raw.slice(1));
    expect(all.map((f) => f.seq)).toEqual([...Array(all.length).keys()]);
    expect(tokenText(all)).toBe(`echo: ${MESSAGE}`);
    expect(all.at(-1)).toMatchObject({ event: "done", reply: `echo: ${MESSAGE}` });
    // Later, a `resume` frame replays the finished reply from any point.
    const before = back.raw.length;
    back.send({ type: "resume", reply_id: last.reply_id, after_seq: 3 });
    await back.until("the replay", () => back.raw.length === before + all.length - 4);
    expect(back.raw.slice(before)).toEqual(watcher.raw.slice(1 + 4));
  });

  it("should answer a resume of a reply it does not hold with an error frame", async ({ expect }) => {
    const s = await socket("", await founderToken({ user_id: uniqueId("f") }));
    const replyId = crypto.randomUUID();
    s.send({ type: "resume", reply_id: replyId, after_seq: 0 });
    // With a field, so the object answers it in order (the bare heartbeat is answered by the runtime at once).
    s.send({ type: "heartbeat", at: 1 });
    await s.until("the heartbeat after the error", (f) => f.length === 3);
    expect(s.frames.slice(1)).toEqual([
      {
        type: "error",
        error: { code: "reply_not_found", message: "this session holds no such reply", details: { reply_id: replyId } },
      },
      { type: "heartbeat", ack: true },
    ]);
  });

  it("should answer messages sent together one after the other", async ({ expect }) => {
    const s = await socket("", await founderToken({ user_id: uniqueId("f") }));
    s.send({ type: "message", text: "first of two", client_id: "a" });
    s.send({ type: "message", text: "second of two", client_id: "b" });
    await s.until("two replies", (f) => f.filter((x) => x.type === "response" && x.event === "done").length === 2);
    const events = s.responses().map((f) => (f.event === "start" ? `start:${f.client_id}` : f.event));
    expect(events).toEqual([
      "start:a",
      ...Array<string>(4).fill("token"),
      "done",
      "start:b",
      ...Array<string>(4).fill("token"),
      "done",
    ]);
    const second = s.responses().at(-1);
    expect(second).toMatchObject({ event: "done", reply: "echo: second of two", context: { turns: 4 } });
  });

  it("should end a reply cut off by the object's reset in reply_interrupted for whoever resumes it", async ({
    expect,
  }) => {
    const auth = await founderToken({ user_id: uniqueId("f") });
    const first = await socket("", auth);
    const sessionId = first.connectFrame().session_id;
    const stub = env.CHAT_SESSION.getByName(sessionId);
    // What an object reset mid-reply leaves behind: a reply still marked streaming, two frames in.
    const replyId = crypto.randomUUID();
    const frames = [
      { type: "response", reply_id: replyId, seq: 0, event: "start", message: "cut off", client_id: null },
      { type: "response", reply_id: replyId, seq: 1, event: "token", text: "echo:" },
    ].map((f) => JSON.stringify(f));
    await runInDurableObject(stub, (_instance: Session, state) => {
      const log = new ReplyLog(state.storage.sql);
      log.begin(replyId, Date.now());
      frames.forEach((f, seq) => log.append(replyId, seq, f));
    });
    await evictDurableObject(stub);
    const back = await socket(`?session_id=${sessionId}&resume_reply=${replyId}&after_seq=0`, auth);
    await back.finished(replyId);
    expect(back.raw.slice(1)).toEqual([
      frames[1],
      JSON.stringify({
        type: "response",
        reply_id: replyId,
        seq: 2,
        event: "error",
        error: { code: "reply_interrupted", message: "the session restarted before this reply finished" },
      }),
    ]);
    expect(back.connectFrame().last_reply).toEqual({ reply_id: replyId, status: "error", last_seq: 2 });
    // The session itself carries on.
    back.send({ type: "message", text: "still there" });
    await back.until("the next reply", () => back.responses().some((f) => f.event === "done"));
    expect(back.responses().at(-1)).toMatchObject({ event: "done", reply: "echo: still there" });
  });
});
