/**
 * ChainBot entanglements through the Worker entry: create with members, add and remove agents, private vs
 * broadcast delivery in each member's history (exact, with cursor paging), non-members refused, live
 * delivery over WebSockets per member, and an assistant answering a `task` through the model gateway (fake
 * OpenAI upstream) — `working` meanwhile, an `error` message when the model fails.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, it } from "vitest";
import { useChatModel } from "./chat-support";
import { ADMIN, call, json, token } from "./helpers";

interface Agent {
  id: string;
  status: string;
}
interface Member {
  agent_id: string;
  agent_type: string;
  name: string;
}
interface Entanglement {
  id: string;
  name: string;
  description: string | null;
  members: Member[];
  message_count: number;
}
interface Message {
  id: string;
  seq: number;
  kind: "private" | "broadcast";
  sender_id: string;
  receiver_id: string | null;
  message_type: string;
  content: string;
  in_reply_to: string | null;
}
interface Page {
  messages: Message[];
  next_cursor: string | null;
}
interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

const spawnedIds: string[] = [];

afterEach(async () => {
  const auth = await ADMIN();
  for (const id of spawnedIds.splice(0)) await call(`/api/chainbot/agents/${id}`, { method: "DELETE", token: auth });
});

async function agent(type: string, config: Record<string, unknown> = {}): Promise<string> {
  const res = await call("/api/chainbot/agents", {
    token: await ADMIN(),
    body: { agent_type: type, config: { name: `${type}-${spawnedIds.length}`, ...config } },
  });
  if (res.status !== 201) throw new Error(`spawn: ${res.status} ${await res.text()}`);
  const { id } = await json<Agent>(res);
  spawnedIds.push(id);
  return id;
}

async function team(agentIds: string[]): Promise<Entanglement> {
  const res = await call("/api/chainbot/entanglements", {
    token: await token(["chainbot:entanglement:manage"]),
    body: { name: "Data Analysis Team", description: "Team of agents for data analysis", agent_ids: agentIds },
  });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
  return json<Entanglement>(res);
}

async function send(id: string, body: Record<string, unknown>): Promise<Response> {
  return call(`/api/chainbot/entanglements/${id}/messages`, {
    token: await token(["chainbot:entanglement:manage"]),
    body,
  });
}

async function sent(id: string, body: Record<string, unknown>): Promise<Message> {
  const res = await send(id, body);
  if (res.status !== 201) throw new Error(`send: ${res.status} ${await res.text()}`);
  return (await json<{ message: Message }>(res)).message;
}

async function history(id: string, query: string): Promise<Page> {
  const res = await call(`/api/chainbot/entanglements/${id}/messages?${query}`, {
    token: await token(["chainbot:read"]),
  });
  if (res.status !== 200) throw new Error(`history: ${res.status} ${await res.text()}`);
  return json<Page>(res);
}

async function agentStatus(id: string): Promise<string> {
  return (await json<Agent>(await call(`/api/chainbot/agents/${id}`, { token: await ADMIN() }))).status;
}

describe("POST /api/chainbot/entanglements", () => {
  it("should create with members, list it, add and remove agents", async ({ expect }) => {
    const [a, b, c] = [await agent("assistant"), await agent("data_processor"), await agent("workflow")];
    const created = await team([a, b]);
    expect(created).toMatchObject({
      name: "Data Analysis Team",
      description: "Team of agents for data analysis",
      message_count: 0,
    });
    expect(created.members.map((m) => [m.agent_id, m.agent_type])).toEqual([
      [a, "assistant"],
      [b, "data_processor"],
    ]);
    const listed = await json<{ entanglements: { id: string }[] }>(
      await call("/api/chainbot/entanglements?limit=200", { token: await token(["chainbot:read"]) }),
    );
    expect(listed.entanglements.map((e) => e.id)).toContain(created.id);

    const manage = await token(["chainbot:entanglement:manage"]);
    const path = `/api/chainbot/entanglements/${created.id}/agents`;
    const added = await call(path, { token: manage, body: { agent_id: c } });
    expect(added.status).toBe(201);
    expect((await json<Entanglement>(added)).members.map((m) => m.agent_id)).toEqual([a, b, c]);
    expect((await call(path, { token: manage, body: { agent_id: c } })).status).toBe(200);
    const removed = await call(`${path}/${b}`, { method: "DELETE", token: manage });
    expect(removed.status).toBe(200);
    expect((await json<Entanglement>(removed)).members.map((m) => m.agent_id)).toEqual([a, c]);
    const again = await call(`${path}/${b}`, { method: "DELETE", token: manage });
    expect(again.status).toBe(403);
    expect((await json<ErrorBody>(again)).error.code).toBe("not_a_member");
  });

  it("should refuse an unknown agent (404) and a terminated one (409), creating nothing", async ({ expect }) => {
    const manage = await token(["chainbot:entanglement:manage"]);
    const unknown = await call("/api/chainbot/entanglements", {
      token: manage,
      body: { name: "x", agent_ids: [crypto.randomUUID()] },
    });
    expect(unknown.status).toBe(404);
    expect((await json<ErrorBody>(unknown)).error.code).toBe("agent_not_found");
    const gone = await agent("assistant");
    await call(`/api/chainbot/agents/${gone}`, { method: "DELETE", token: await ADMIN() });
    const refused = await call("/api/chainbot/entanglements", {
      token: manage,
      body: { name: "x", agent_ids: [gone] },
    });
    expect(refused.status).toBe(409);
    const err = await json<ErrorBody>(refused);
    expect(err.error.code).toBe("agent_terminated");
    expect(err.error.details.field).toBe("body.agent_ids.0");
    const missing = await call(`/api/chainbot/entanglements/${crypto.randomUUID()}`, { token: manage });
    expect(missing.status).toBe(403);
    const missingRead = await call(`/api/chainbot/entanglements/${crypto.randomUUID()}`, {
      token: await token(["chainbot:read"]),
    });
    expect(missingRead.status).toBe(404);
    expect((await json<ErrorBody>(missingRead)).error.code).toBe("entanglement_not_found");
  });
});

describe("POST /api/chainbot/entanglements/{id}/messages", () => {
  it("should show each member broadcasts and its own private messages only", async ({ expect }) => {
    const [a, b, c] = [await agent("data_processor"), await agent("data_processor"), await agent("workflow")];
    const { id } = await team([a, b, c]);
    const m1 = await sent(id, {
      sender_id: a,
      receiver_id: b,
      content: "Process this data segment",
      message_type: "task",
    });
    const m2 = await sent(id, { sender_id: c, content: "Team meeting in 5 minutes", message_type: "notification" });
    const m3 = await sent(id, { sender_id: b, receiver_id: c, content: "segment done", message_type: "data" });
    expect(m1).toMatchObject({ kind: "private", sender_id: a, receiver_id: b, message_type: "task" });
    expect(m2).toMatchObject({ kind: "broadcast", sender_id: c, receiver_id: null, message_type: "notification" });
    expect([m1.seq, m2.seq, m3.seq]).toEqual([1, 2, 3]);

    const ids = async (member: string | null) =>
      (await history(id, member === null ? "" : `member=${member}`)).messages.map((m) => m.id);
    expect(await ids(a)).toEqual([m1.id, m2.id]);
    expect(await ids(b)).toEqual([m1.id, m2.id, m3.id]);
    expect(await ids(c)).toEqual([m2.id, m3.id]);
    expect(await ids(null)).toEqual([m1.id, m2.id, m3.id]);
    // A task to a data_processor waits for it; only assistants answer on their own.
    expect((await history(id, "")).messages).toHaveLength(3);
  });

  it("should page a member's view by cursor exactly", async ({ expect }) => {
    const [a, b, c] = [await agent("data_processor"), await agent("data_processor"), await agent("workflow")];
    const { id } = await team([a, b, c]);
    const visibleToA: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      const broadcast = await sent(id, { sender_id: c, content: `b${i}` });
      visibleToA.push(broadcast.id);
      await sent(id, { sender_id: b, receiver_id: c, content: `hidden${i}` });
      if (i % 3 === 0) visibleToA.push((await sent(id, { sender_id: b, receiver_id: a, content: `to a ${i}` })).id);
    }
    expect(visibleToA).toHaveLength(10);
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await history(id, `member=${a}&limit=3${cursor === null ? "" : `&cursor=${cursor}`}`);
      pages.push(page.messages.map((m) => m.id));
      cursor = page.next_cursor;
    } while (cursor !== null);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 3, 1]);
    expect(pages.flat()).toEqual(visibleToA);
    const bad = await call(`/api/chainbot/entanglements/${id}/messages?cursor=nope`, {
      token: await token(["chainbot:read"]),
    });
    expect(bad.status).toBe(400);
  });

  it("should refuse a non-member sender, receiver or reader with 403 not_a_member", async ({ expect }) => {
    const [a, b, outsider] = [await agent("data_processor"), await agent("workflow"), await agent("workflow")];
    const { id } = await team([a, b]);
    const cases: [Response, string][] = [
      [await send(id, { sender_id: outsider, content: "let me in" }), "sender_id"],
      [await send(id, { sender_id: a, receiver_id: outsider, content: "psst" }), "receiver_id"],
      [
        await call(`/api/chainbot/entanglements/${id}/messages?member=${outsider}`, {
          token: await token(["chainbot:read"]),
        }),
        "member",
      ],
      [
        await call(`/api/chainbot/entanglements/${id}/ws?member=${outsider}`, {
          token: await token(["chainbot:read"]),
          headers: { upgrade: "websocket" },
        }),
        "query.member",
      ],
    ];
    for (const [res, field] of cases) {
      expect(res.status, field).toBe(403);
      const err = await json<ErrorBody>(res);
      expect(err.error.code).toBe("not_a_member");
      expect(err.error.details).toEqual({ field, agent_id: outsider });
    }
    expect((await history(id, "")).messages).toEqual([]);
    const self = await send(id, { sender_id: a, receiver_id: a, content: "me" });
    expect(self.status).toBe(400);
    expect((await json<ErrorBody>(self)).error.message).toContain("body.receiver_id");
  });

  it("should open the live socket with a browser's bearer.<token> subprotocol and echo botplane.chainbot", async ({
    expect,
  }) => {
    const a = await agent("data_processor");
    const { id } = await team([a]);
    const res = await call(`/api/chainbot/entanglements/${id}/ws?member=${a}`, {
      headers: {
        upgrade: "websocket",
        "sec-websocket-protocol": `botplane.chainbot, bearer.${await token(["chainbot:read"])}`,
      },
    });
    expect(res.status).toBe(101);
    expect(res.headers.get("sec-websocket-protocol")).toBe("botplane.chainbot");
    const ws = res.webSocket;
    if (!ws) throw new Error("no socket");
    const frames: { type: string }[] = [];
    ws.addEventListener("message", (e) => frames.push(JSON.parse(String(e.data)) as { type: string }));
    ws.accept();
    try {
      await expect.poll(() => frames[0]).toEqual({ type: "hello", entanglement_id: id, member: a });
    } finally {
      ws.close(1000, "done");
    }
    const refused = await call(`/api/chainbot/entanglements/${id}/ws?member=${a}`, {
      headers: { upgrade: "websocket", "sec-websocket-protocol": "botplane.chainbot" },
    });
    expect(refused.status).toBe(401);
  });

  it("should deliver live over WebSockets what each member may see", async ({ expect }) => {
    const [a, b, c] = [await agent("data_processor"), await agent("data_processor"), await agent("workflow")];
    const { id } = await team([a, b, c]);
    const open = async (member: string) => {
      const res = await call(`/api/chainbot/entanglements/${id}/ws?member=${member}`, {
        token: await token(["chainbot:read"]),
        headers: { upgrade: "websocket" },
      });
      const ws = res.webSocket;
      if (res.status !== 101 || !ws) throw new Error(`no upgrade: ${res.status} ${await res.text()}`);
      const frames: { type: string; message?: Message }[] = [];
      ws.addEventListener("message", (e) => frames.push(JSON.parse(String(e.data)) as (typeof frames)[number]));
      ws.accept();
      return { ws, frames, messages: () => frames.flatMap((f) => (f.message ? [f.message.id] : [])) };
    };
    const [wsA, wsB] = [await open(a), await open(b)];
    try {
      const hidden = await sent(id, { sender_id: b, receiver_id: c, content: "not for a" });
      const broadcast = await sent(id, { sender_id: c, content: "for everyone" });
      const toA = await sent(id, { sender_id: b, receiver_id: a, content: "for a" });
      await expect.poll(() => wsA.messages().length).toBe(2);
      await expect.poll(() => wsB.messages().length).toBe(3);
      expect(wsA.messages()).toEqual([broadcast.id, toA.id]);
      expect(wsB.messages()).toEqual([hidden.id, broadcast.id, toA.id]);
      expect(wsA.frames[0]).toEqual({ type: "hello", entanglement_id: id, member: a });
      wsA.ws.send(JSON.stringify({ type: "ping" }));
      await expect.poll(() => wsA.frames.some((f) => f.type === "pong")).toBe(true);
    } finally {
      wsA.ws.close(1000, "done");
      wsB.ws.close(1000, "done");
    }
  });
});

describe("GET /api/chainbot/entanglements/{id}/ws", () => {
  it("should show an operator (no member) everything and close a removed member's socket", async ({ expect }) => {
    const [a, b] = [await agent("data_processor"), await agent("workflow")];
    const { id } = await team([a, b]);
    const open = async (query: string) => {
      const res = await call(`/api/chainbot/entanglements/${id}/ws${query}`, {
        token: await token(["chainbot:read"]),
        headers: { upgrade: "websocket" },
      });
      const ws = res.webSocket;
      if (res.status !== 101 || !ws) throw new Error(`no upgrade: ${res.status} ${await res.text()}`);
      const ids: string[] = [];
      const closed: number[] = [];
      ws.addEventListener("message", (e) => {
        const frame = JSON.parse(String(e.data)) as { message?: Message };
        if (frame.message) ids.push(frame.message.id);
      });
      ws.addEventListener("close", (e) => closed.push(e.code));
      ws.accept();
      return { ws, ids, closed };
    };
    const [operator, memberB] = [await open(""), await open(`?member=${b}`)];
    try {
      const toB = await sent(id, { sender_id: a, receiver_id: b, content: "private" });
      await expect.poll(() => operator.ids).toEqual([toB.id]);
      await expect.poll(() => memberB.ids).toEqual([toB.id]);
      const removed = await call(`/api/chainbot/entanglements/${id}/agents/${b}`, {
        method: "DELETE",
        token: await token(["chainbot:entanglement:manage"]),
      });
      expect(removed.status).toBe(200);
      await expect.poll(() => memberB.closed).toEqual([1008]);
      const noUpgrade = await call(`/api/chainbot/entanglements/${id}/ws`, { token: await token(["chainbot:read"]) });
      expect(noUpgrade.status).toBe(426);
    } finally {
      operator.ws.close(1000, "done");
    }
  });
});

describe("assistant agents answering tasks", () => {
  it("should answer a task through the model gateway with its personality, working meanwhile", async ({ expect }) => {
    const model = `fake-slow-first-token-1500~cb-${crypto.randomUUID()}`;
    await useChatModel(model);
    const assistant = await agent("assistant", { personality: "a meticulous pirate", response_style: "terse" });
    const asker = await agent("workflow");
    const { id } = await team([assistant, asker]);
    const task = await sent(id, {
      sender_id: asker,
      receiver_id: assistant,
      content: "count the rows",
      message_type: "task",
    });
    await expect.poll(() => agentStatus(assistant), { timeout: 5_000 }).toBe("working");
    const replies = async () =>
      (await history(id, `member=${asker}`)).messages.filter((m) => m.in_reply_to === task.id);
    await expect.poll(async () => (await replies()).length, { timeout: 15_000 }).toBe(1);
    expect((await replies())[0]).toMatchObject({
      kind: "private",
      sender_id: assistant,
      receiver_id: asker,
      message_type: "response",
      content: "echo: count the rows",
    });
    expect(await agentStatus(assistant)).toBe("idle");
    const recorded = await fetch(`${env.TEST_FAKE_UPSTREAMS_URL}/_requests?model=${encodeURIComponent(model)}`);
    const requests = await recorded.json<{ body: { messages: { role: string; content: string }[] } }[]>();
    expect(requests).toHaveLength(1);
    const system = requests[0]?.body.messages[0];
    expect(system?.role).toBe("system");
    expect(system?.content).toContain("Personality: a meticulous pirate");
    expect(system?.content).toContain("Response style: terse");
  });

  it("should answer with an error message, not silence, when the model fails", async ({ expect }) => {
    await useChatModel(`fake-400~cb-${crypto.randomUUID()}`);
    const assistant = await agent("assistant");
    const asker = await agent("data_processor");
    const { id } = await team([assistant, asker]);
    const task = await sent(id, { sender_id: asker, receiver_id: assistant, content: "fail", message_type: "task" });
    const replies = async () =>
      (await history(id, `member=${asker}`)).messages.filter((m) => m.in_reply_to === task.id);
    await expect.poll(async () => (await replies()).length, { timeout: 15_000 }).toBe(1);
    const reply = (await replies())[0];
    expect(reply?.message_type).toBe("error");
    expect(reply?.sender_id).toBe(assistant);
    expect(reply?.content).toMatch(/^the model call failed: /);
    expect(await agentStatus(assistant)).toBe("idle");
    // The entanglement manager's health counts the failed answer beside this file's one good answer.
    const health = await json<{ components: { entanglement_manager: { score: number; facts: unknown } } }>(
      await call("/api/chainbot/health", { token: await ADMIN() }),
    );
    expect(health.components.entanglement_manager.facts).toEqual({
      tasks_last_hour: 2,
      failed_last_hour: 1,
      failure_rate: 0.5,
    });
    expect(health.components.entanglement_manager.score).toBeLessThanOrEqual(0.75);
  });
});
