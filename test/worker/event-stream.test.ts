/**
 * EventStream and GET /api/v1/events/stream: filter matching, WebSocket (also across hibernation) and SSE
 * subscribers fed by `append`, resume from a cursor without gaps or repeats (also while appends race the
 * replay), de-duplication, the 64 KB payload_ref cut, auth carriers, bad input and retention pruning.
 * Storage persists across tests in this file, so each test uses its own subjects and relative cursors.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, it } from "vitest";
import type { EventStream } from "../../durable-objects/event-stream";
import { StreamLog } from "../../durable-objects/event-stream-log";
import { LIVE_PAYLOAD_LIMIT, matchesFilter } from "../../durable-objects/event-stream-protocol";
import { replay } from "../../durable-objects/event-stream-replay";
import { appendToStream, streamFor } from "../../workers/bus/stream-client";
import { patternsFor } from "../../workers/bus/subjects";
import { createEvent, type BusEvent } from "../../workers/platform/bus/envelope";
import { ADMIN, call, json, token, uniqueId } from "./helpers";

const PATH = "/api/v1/events/stream";
const stub = () => env.EVENT_STREAM.getByName("default");
const rpc = () => streamFor(env);

interface Frame {
  seq: number;
  event: BusEvent;
}

function event(type: string, payload: unknown = {}, correlationId?: string): BusEvent {
  return createEvent({ type, source: "test", payload, correlationId });
}

async function append(events: BusEvent[]) {
  const result = await rpc().append(events);
  if (!result.ok) throw new Error(result.message);
  return result.results;
}

async function lastSeq(): Promise<number> {
  return (await rpc().stats()).last_seq;
}

async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A WebSocket subscriber through the Worker entry, collecting every message it gets. */
async function openSocket(query: string, opts: { token?: string; headers?: Record<string, string> } = {}) {
  const auth = opts.token ?? (await token(["events:read"]));
  const res = await call(`${PATH}${query}`, { token: auth, headers: { upgrade: "websocket", ...opts.headers } });
  const ws = res.webSocket;
  if (res.status !== 101 || !ws) throw new Error(`no upgrade: ${res.status} ${await res.text()}`);
  const messages: Record<string, unknown>[] = [];
  ws.addEventListener("message", (e) => {
    messages.push(JSON.parse(String(e.data)) as Record<string, unknown>);
  });
  ws.accept();
  const frames = () => messages.filter((m): m is Frame & Record<string, unknown> => typeof m.seq === "number");
  return { ws, res, messages, frames, close: () => ws.close(1000, "done") };
}

interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** An SSE subscriber: pumps the body and parses messages until closed. */
async function openSse(query: string, headers: Record<string, string> = {}) {
  const res = await call(`${PATH}${query}`, {
    token: await token(["events:read"]),
    headers: { accept: "text/event-stream", ...headers },
  });
  if (res.status !== 200 || !res.body) throw new Error(`no stream: ${res.status} ${await res.text()}`);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const messages: SseFrame[] = [];
  let buffer = "";
  const pump = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const m: SseFrame = {};
        for (const line of block.split("\n")) {
          if (line.startsWith(": ")) m.comment = line.slice(2);
          else if (line.startsWith("id: ")) m.id = line.slice(4);
          else if (line.startsWith("event: ")) m.event = line.slice(7);
          else if (line.startsWith("data: ")) m.data = line.slice(6);
        }
        messages.push(m);
      }
    }
  })().catch(() => undefined);
  const frames = () =>
    messages.filter((m) => m.data !== undefined).map((m) => ({ ...m, frame: JSON.parse(m.data ?? "") as Frame }));
  return {
    res,
    messages,
    frames,
    close: async () => {
      await reader.cancel();
      await pump;
    },
  };
}

describe("EventStream filters", () => {
  const matches = (filter: string, subject: string, prefix?: string) =>
    matchesFilter({ patterns: [...patternsFor(filter, prefix)] }, subject, "c");

  it("should match NATS wildcards and EventType names as the stream uses them", ({ expect }) => {
    expect(matches("botz.>", "botz.workitem.claimed.v1")).toBe(true);
    expect(matches("botz.>", "botz")).toBe(false);
    expect(matches("metrics.*", "metrics.cpu")).toBe(true);
    expect(matches("metrics.*", "metrics.cpu.load")).toBe(false);
    expect(matches("game.state", "game.state")).toBe(true);
    expect(matches("game.state", "game.state.v2")).toBe(false);
    expect(matches("GAME_STATE", "game.state")).toBe(true);
    expect(matches("GAME_STATE", "game.other")).toBe(false);
    expect(matches("METRIC", "metrics.cpu.load")).toBe(true);
    expect(matches("METRIC", "botz.metric")).toBe(false);
    expect(matches("jimbot.game.state", "game.state", "jimbot")).toBe(true);
  });

  it("should apply the correlation_id filter on top of the subject", ({ expect }) => {
    expect(matchesFilter({ patterns: [">"], correlation_id: "a" }, "x.y", "a")).toBe(true);
    expect(matchesFilter({ patterns: [">"], correlation_id: "a" }, "x.y", "b")).toBe(false);
  });
});

describe("GET /api/v1/events/stream over WebSocket", () => {
  it("should deliver matching events only, and keep socket and filters across hibernation", async ({ expect }) => {
    const ns = uniqueId("ws");
    const sub = await openSocket(`?subject=${ns}.botz.>&subject=${ns}.metrics.*`);
    const wanted = [event(`${ns}.botz.workitem.claimed.v1`), event(`${ns}.metrics.cpu`)];
    const unwanted = [event(`${ns}.metrics.cpu.load`), event(`${ns}.other`)];
    await append([wanted[0] as BusEvent, ...unwanted, wanted[1] as BusEvent]);
    await until(() => sub.frames().length >= 2, "two frames");

    await evictDurableObject(stub(), { webSockets: "hibernate" });
    const afterWake = [event(`${ns}.botz.heartbeat.v1`), event(`${ns}.nope`)];
    await append(afterWake);
    await until(() => sub.frames().length >= 3, "a frame after hibernation");
    // The exact ping is the runtime's auto-response; the spaced one goes through the object's zod parse.
    sub.ws.send('{"type":"ping"}');
    sub.ws.send('{ "type": "ping" }');
    await until(() => sub.messages.filter((m) => m.type === "pong").length === 2, "two pongs");

    expect(sub.frames().map((f) => f.event.event_id)).toEqual([...wanted, afterWake[0]].map((e) => e?.event_id));
    const seqs = sub.frames().map((f) => f.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    sub.close();
  });

  it("should deliver an EventType filter's dotted events", async ({ expect }) => {
    const correlation = uniqueId("corr");
    const sub = await openSocket(`?subject=GAME_STATE&correlation_id=${correlation}`);
    const state = event("game.state", { ante: 1 }, correlation);
    await append([event("game.other", {}, correlation), state]);
    await until(() => sub.frames().length >= 1, "the game.state frame");
    await append([event("game.state", {}, correlation)]);
    await until(() => sub.frames().length >= 2, "a second frame");
    expect(sub.frames()[0]?.event).toMatchObject({
      event_id: state.event_id,
      type: "game.state",
      payload: { ante: 1 },
    });
    expect(sub.frames().every((f) => f.event.type === "game.state")).toBe(true);
    sub.close();
  });

  it("should answer an invalid message with an error frame and stay open", async ({ expect }) => {
    const sub = await openSocket(`?subject=${uniqueId("err")}.>`);
    sub.ws.send('{"type":"subscribe"}');
    sub.ws.send("not json");
    await until(() => sub.messages.length >= 2, "two error frames");
    expect(sub.messages[0]).toMatchObject({ type: "error", error: { code: "invalid_message" } });
    expect(JSON.stringify(sub.messages[0])).toContain("message.type");
    expect(sub.messages[1]).toMatchObject({ type: "error", error: { code: "invalid_json" } });
    sub.ws.send('{ "type": "ping" }');
    await until(() => sub.messages.some((m) => m.type === "pong"), "a pong after the errors");
    sub.close();
  });

  it("should only deliver the subscribed correlation_id", async ({ expect }) => {
    const ns = uniqueId("corr");
    const sub = await openSocket(`?subject=${ns}.>&correlation_id=${ns}-a`);
    await append([
      event(`${ns}.x`, { n: 1 }, `${ns}-b`),
      event(`${ns}.x`, { n: 2 }, `${ns}-a`),
      event(`${ns}.y`, { n: 3 }, `${ns}-b`),
      event(`${ns}.y`, { n: 4 }, `${ns}-a`),
    ]);
    await until(() => sub.frames().length >= 2, "two frames");
    await append([event(`${ns}.z`, { n: 5 }, `${ns}-a`)]);
    await until(() => sub.frames().length >= 3, "a third frame");
    expect(sub.frames().map((f) => (f.event.payload as { n: number }).n)).toEqual([2, 4, 5]);
    sub.close();
  });
});

describe("EventStream append", () => {
  it("should number new events, mark a repeated event_id duplicate and deliver it once", async ({ expect }) => {
    const ns = uniqueId("dup");
    const sub = await openSocket(`?subject=${ns}.>`);
    const a = event(`${ns}.a`);
    const b = event(`${ns}.b`);
    const first = await append([a, b]);
    const second = await appendToStream(env, [b, a, event(`${ns}.c`)]);
    expect(first.map((r) => r.duplicate)).toEqual([false, false]);
    expect((first[1]?.seq ?? 0) - (first[0]?.seq ?? 0)).toBe(1);
    expect(second.slice(0, 2)).toEqual([
      { event_id: b.event_id, seq: first[1]?.seq, duplicate: true },
      { event_id: a.event_id, seq: first[0]?.seq, duplicate: true },
    ]);
    expect(second[2]?.duplicate).toBe(false);
    expect(second[2]?.seq).toBe((first[1]?.seq ?? 0) + 1);
    await until(() => sub.frames().length >= 3, "the third event");
    expect(sub.frames().map((f) => f.event.type)).toEqual([`${ns}.a`, `${ns}.b`, `${ns}.c`]);
    sub.close();
  });

  it("should send a payload over 64 KB as payload_ref, keeping an existing ref and small payloads inline", async ({
    expect,
  }) => {
    const ns = uniqueId("big");
    const sub = await openSocket(`?subject=${ns}.>`);
    const big = event(`${ns}.big`, { blob: "x".repeat(LIVE_PAYLOAD_LIMIT + 10) });
    const refd = {
      ...event(`${ns}.refd`, { blob: "y".repeat(LIVE_PAYLOAD_LIMIT + 10) }),
      payload_ref: "r2://blobs/abc",
    };
    const small = event(`${ns}.small`, { blob: "z".repeat(1000) });
    const slim = { ...event(`${ns}.slim`), payload: null, payload_ref: "/api/v1/events/slim" };
    await append([big, refd, small, slim]);
    await until(() => sub.frames().length >= 4, "four frames");
    const [f1, f2, f3, f4] = sub.frames().map((f) => f.event);
    expect(f4).not.toHaveProperty("payload");
    expect(f4?.payload_ref).toBe("/api/v1/events/slim");
    expect(f1).not.toHaveProperty("payload");
    expect(f1?.payload_ref).toBe(`/api/v1/events/${big.event_id}`);
    expect(f2).not.toHaveProperty("payload");
    expect(f2?.payload_ref).toBe("r2://blobs/abc");
    expect(f3?.payload).toEqual(small.payload);
    expect(f3).not.toHaveProperty("payload_ref");
    sub.close();
  });

  it("should reject a malformed event over RPC with the field named", async ({ expect }) => {
    const bad = { ...event("x.y"), event_id: "nope" };
    const result = await rpc().append([bad]);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toContain("events.0.event_id");
  });
});

describe("GET /api/v1/events/stream over SSE", () => {
  it("should stream live events as SSE messages with id and event, and drop the subscriber on disconnect", async ({
    expect,
  }) => {
    const ns = uniqueId("sse");
    const before = (await rpc().stats()).subscribers.sse;
    const sub = await openSse(`?subject=${ns}.>`);
    expect(sub.res.headers.get("content-type")).toContain("text/event-stream");
    expect((await rpc().stats()).subscribers.sse).toBe(before + 1);
    const e1 = event(`${ns}.one`, { n: 1 });
    const [r1] = await append([e1, event(`other.${ns}`)]);
    await append([event(`${ns}.two`, { n: 2 })]);
    await until(() => sub.frames().length >= 2, "two SSE frames");
    const [first, second] = sub.frames();
    expect(first?.id).toBe(String(r1?.seq));
    expect(first?.event).toBe(`${ns}.one`);
    expect(first?.frame).toEqual({ seq: r1?.seq, event: e1 });
    expect(second?.event).toBe(`${ns}.two`);
    await sub.close();
    const end = Date.now() + 3000;
    while ((await rpc().stats()).subscribers.sse !== before && Date.now() < end)
      await new Promise((r) => setTimeout(r, 20));
    expect((await rpc().stats()).subscribers.sse).toBe(before);
  });

  it("should send keep-alive comments on an idle stream", async ({ expect }) => {
    await runInDurableObject(stub(), (instance: EventStream) => {
      instance.sse.keepAliveMs = 30;
    });
    const sub = await openSse(`?subject=${uniqueId("idle")}`);
    await until(() => sub.messages.some((m) => m.comment === "keep-alive"), "a keep-alive comment");
    expect(sub.frames()).toEqual([]);
    await sub.close();
    await runInDurableObject(stub(), (instance: EventStream) => {
      instance.sse.keepAliveMs = 15_000;
    });
  });
});

describe("resuming GET /api/v1/events/stream", () => {
  async function fiveLogged(ns: string) {
    const base = await lastSeq();
    await append([event(`noise.${ns}`)]);
    const results = await append([1, 2, 3, 4, 5].map((n) => event(`${ns}.e`, { n })));
    return { base, seqs: results.map((r) => r.seq) };
  }

  it("should replay after since over WebSocket, then go live, with nothing missed or repeated", async ({ expect }) => {
    const ns = uniqueId("resume");
    const { seqs } = await fiveLogged(ns);
    const sub = await openSocket(`?subject=${ns}.>&since=${seqs[1]}`);
    const [sixth] = await append([event(`${ns}.e`, { n: 6 })]);
    await until(() => sub.frames().length >= 4, "3 replayed + 1 live");
    expect(sub.frames().map((f) => (f.event.payload as { n: number }).n)).toEqual([3, 4, 5, 6]);
    expect(sub.frames().map((f) => f.seq)).toEqual([seqs[2], seqs[3], seqs[4], sixth?.seq]);
    sub.close();
  });

  it("should replay after Last-Event-ID over SSE, then go live", async ({ expect }) => {
    const ns = uniqueId("resume");
    const { seqs } = await fiveLogged(ns);
    const sub = await openSse(`?subject=${ns}.>`, { "last-event-id": String(seqs[1]) });
    await until(() => sub.frames().length >= 3, "3 replayed");
    const [sixth] = await append([event(`${ns}.e`, { n: 6 })]);
    await until(() => sub.frames().length >= 4, "1 live");
    expect(sub.frames().map((f) => f.id)).toEqual([seqs[2], seqs[3], seqs[4], sixth?.seq].map(String));
    await sub.close();
  });

  it("should neither skip nor repeat events appended while the replay is running", async ({ expect }) => {
    await runInDurableObject(stub(), (instance: EventStream) => {
      instance.replayBatch = 2;
    });
    const ns = uniqueId("race");
    const { base } = await fiveLogged(ns);
    const wanted = Array.from({ length: 20 }, (_, i) => i + 1);
    // One append at a time while both subscribers replay, so appends land before, during and after each step.
    const trickle = async () => {
      for (const n of wanted.slice(5)) await append([event(`${ns}.e`, { n })]);
    };
    const [ws, sse] = await Promise.all([
      openSocket(`?subject=${ns}.>&since=${base}`),
      openSse(`?subject=${ns}.>&since=${base}`),
      trickle(),
    ]);
    await until(
      () => ws.frames().length >= wanted.length && sse.frames().length >= wanted.length,
      "every frame on both",
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(ws.frames().map((f) => (f.event.payload as { n: number }).n)).toEqual(wanted);
    expect(sse.frames().map((f) => (f.frame.event.payload as { n: number }).n)).toEqual(wanted);
    ws.close();
    await sse.close();
    await runInDurableObject(stub(), (instance: EventStream) => {
      instance.replayBatch = 500;
    });
  });
});

describe("EventStream replay", () => {
  it("should hand over to live with no gap even when an append lands at every await", async ({ expect }) => {
    const ns = uniqueId("handover");
    const since = await lastSeq();
    await append([1, 2, 3, 4, 5].map((n) => event(`${ns}.e`, { n })));
    const text = await runInDurableObject(stub(), async (instance: EventStream, state) => {
      const filter = { patterns: [`${ns}.>`] };
      const sub = instance.sse.open(filter);
      const body = new Response(sub.readable).text();
      let n = 5;
      // Every pause of the replay lets one append in, the worst interleaving a real object can see.
      await replay(new StreamLog(state.storage), since, filter, 2, {
        get closed() {
          return sub.closed;
        },
        send: (row) => sub.send(row),
        drain: async () => {
          n += 1;
          instance.append([event(`${ns}.e`, { n })]);
          await sub.drain();
        },
        goLive: () => {
          sub.live = true;
        },
      });
      instance.append([event(`${ns}.e`, { n: n + 1 })]);
      sub.close();
      return body;
    });
    const payloads = text
      .split("\n")
      .filter((l) => l.startsWith("data: "))
      .map((l) => (JSON.parse(l.slice(6)) as Frame).event.payload as { n: number });
    const got = payloads.map((p) => p.n);
    expect(got.length).toBeGreaterThan(6);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => i + 1));
  });
});

describe("GET /api/v1/events/stream auth and input", () => {
  it("should answer 401 in the error shape without a token, before any upgrade", async ({ expect }) => {
    const res = await call(`${PATH}?subject=a.b`, { headers: { upgrade: "websocket" } });
    expect(res.status).toBe(401);
    expect(res.webSocket).toBeNull();
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe("unauthorized");
  });

  it("should answer 403 for a token without events:read", async ({ expect }) => {
    const res = await call(`${PATH}?subject=a.b`, {
      token: await token(["events:publish"]),
      headers: { upgrade: "websocket" },
    });
    expect(res.status).toBe(403);
    expect(res.webSocket).toBeNull();
  });

  it("should take the token from access_token, and only on this route", async ({ expect }) => {
    const good = await token(["events:read"]);
    const sub = await openSocket(`?subject=a.b&access_token=${good}`, { token: "" });
    expect(sub.res.status).toBe(101);
    sub.close();
    const forged = await token(["events:read"], { secret: "not-the-secret-not-the-secret-xx" });
    const bad = await call(`${PATH}?access_token=${forged}`, { headers: { upgrade: "websocket" } });
    expect(bad.status).toBe(401);
    const elsewhere = await call(`/v1/stats?access_token=${await ADMIN()}`);
    expect(elsewhere.status).toBe(401);
  });

  it("should take the token from Sec-WebSocket-Protocol and answer botplane.v1 only", async ({ expect }) => {
    const good = await token(["events:read"]);
    const sub = await openSocket("?subject=a.b", {
      token: "",
      headers: { "sec-websocket-protocol": `botplane.v1, bearer.${good}` },
    });
    expect(sub.res.status).toBe(101);
    expect(sub.res.headers.get("sec-websocket-protocol")).toBe("botplane.v1");
    sub.close();
    const missing = await call(`${PATH}?subject=a.b`, {
      headers: { upgrade: "websocket", "sec-websocket-protocol": "botplane.v1" },
    });
    expect(missing.status).toBe(401);
    const noProtocol = await call(`${PATH}?subject=a.b`, {
      headers: { upgrade: "websocket", "sec-websocket-protocol": `bearer.${good}` },
    });
    expect(noProtocol.status).toBe(400);
    expect((await json<{ error: { message: string } }>(noProtocol)).error.message).toContain(
      "header.sec-websocket-protocol",
    );
  });

  for (const [query, headers, field] of [
    ["?subject=foo..bar", {}, "query.subject"],
    ["?subject=a.b&subject=a.>.c", {}, "query.subject"],
    ["?since=-1", {}, "query.since"],
    ["?since=abc", {}, "query.since"],
    ["", { "last-event-id": "x1" }, "header.last-event-id"],
  ] as const) {
    it(`should answer 400 naming ${field} for ${query || JSON.stringify(headers)}, without upgrading`, async ({
      expect,
    }) => {
      const res = await call(`${PATH}${query}`, {
        token: await token(["events:read"]),
        headers: { upgrade: "websocket", ...headers },
      });
      expect(res.status).toBe(400);
      expect(res.webSocket).toBeNull();
      const body = await json<{ error: { code: string; message: string } }>(res);
      expect(body.error.code).toBe("invalid_input");
      expect(body.error.message).toContain(field);
    });
  }
});

describe("EventStream prune and stats", () => {
  it("should delete rows older than the cutoff in chunks bounded by maxRows, and nothing newer", async ({ expect }) => {
    const old = Date.now() - 30 * 24 * 3600_000;
    await runInDurableObject(stub(), (instance: EventStream) => {
      instance.clock = () => old;
    });
    const ns = uniqueId("old");
    await append(Array.from({ length: 25 }, (_, n) => event(`${ns}.e`, { n })));
    await runInDurableObject(stub(), (instance: EventStream) => {
      instance.clock = () => Date.now();
    });
    await append([event(`${ns}.fresh`)]);
    const rows = (await rpc().stats()).log_rows;

    const chunks = [];
    for (let i = 0; i < 4; i++) chunks.push(await rpc().prune(old + 1, 10));
    expect(chunks).toEqual([
      { ok: true, deleted: 10, more: true },
      { ok: true, deleted: 10, more: true },
      { ok: true, deleted: 5, more: false },
      { ok: true, deleted: 0, more: false },
    ]);
    const after = await rpc().stats();
    expect(after.log_rows).toBe(rows - 25);
    expect(after.last_seq).toBeGreaterThan(0);
    expect((await rpc().prune(-1, 10)).ok).toBe(false);
  });

  it("should count subscribers by kind", async ({ expect }) => {
    const before = await rpc().stats();
    const ws = await openSocket(`?subject=${uniqueId("count")}`);
    const sse = await openSse(`?subject=${uniqueId("count")}`);
    const during = await rpc().stats();
    expect(during.subscribers.websocket).toBe(before.subscribers.websocket + 1);
    expect(during.subscribers.sse).toBe(before.subscribers.sse + 1);
    ws.close();
    await sse.close();
  });
});
