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
import { StreamLog, type LogRow } from "../../durable-objects/event-stream-log";
import { matchesFilter } from "../../durable-objects/event-stream-protocol";
import { replay } from "../../durable-objects/event-stream-replay";
import { sseKeepAlive } from "../../workers/bus/stream-merge";
import { patternsFor } from "../../workers/bus/subjects";
import { LIVE_PAYLOAD_LIMIT } from "../../workers/platform/bus/claim-check";
import { createEvent, type BusEvent } from "../../workers/platform/bus/envelope";
import { busPartition, partitionCount } from "../../workers/platform/bus/partition-client";
import { partitionName, partitionOf } from "../../workers/platform/bus/partitions";
import { appendToBus } from "../../workers/platform/bus/publish";
import { ADMIN, call, json, token, uniqueId } from "./helpers";
import { fakeBusQueue } from "./support/queue";

const PATH = "/api/v1/events/stream";
const COUNT = partitionCount(env);
const partitionOfSubject = (subject: string) => partitionOf(subject, COUNT);
/** The partition object that holds a subject's events. */
const stub = (subject: string) => env.EVENT_STREAM.getByName(partitionName(partitionOfSubject(subject)));
const rpc = (subject: string) => busPartition(env, partitionOfSubject(subject));
const everyPartition = () => Array.from({ length: COUNT }, (_, i) => env.EVENT_STREAM.getByName(partitionName(i)));

interface Frame {
  seq: number;
  partition: number;
  cursor: string;
  event: BusEvent;
}

function event(type: string, payload: unknown = {}, correlationId?: string): BusEvent {
  return createEvent({ type, source: "test", payload, correlationId });
}

/** Publishes through the real path (claim check, partition by subject); throws if any event is refused. */
async function publish(events: BusEvent[]): Promise<void> {
  const failed = await appendToBus(env, events);
  if (failed.size > 0) throw new Error([...failed.values()].join("; "));
}

/** Appends straight to the partition of the events' (one) subject; returns each event's seq there. */
async function append(events: BusEvent[]) {
  const result = await rpc(events[0]?.type ?? "").append(events);
  if (!result.ok) throw new Error(result.message);
  return result.results;
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

const ids = (frames: { event: BusEvent }[]) => frames.map((f) => f.event.event_id);
const payloadN = (e: BusEvent) => (e.payload as { n: number }).n;

describe("GET /api/v1/events/stream over WebSocket", () => {
  it("should deliver matching events from every partition, and keep sockets and filters across hibernation", async ({
    expect,
  }) => {
    const ns = uniqueId("ws");
    const sub = await openSocket(`?subject=${ns}.botz.>&subject=${ns}.metrics.*`);
    const wanted = [event(`${ns}.botz.workitem.claimed.v1`), event(`${ns}.metrics.cpu`)];
    const unwanted = [event(`${ns}.metrics.cpu.load`), event(`${ns}.other`)];
    await publish([wanted[0] as BusEvent, ...unwanted, wanted[1] as BusEvent]);
    await expect.poll(() => sub.frames().length >= 2, { message: "two frames", timeout: 5000 }).toBe(true);

    for (const partition of everyPartition()) await evictDurableObject(partition, { webSockets: "hibernate" });
    const afterWake = [event(`${ns}.botz.heartbeat.v1`), event(`${ns}.nope`)];
    await publish(afterWake);
    await expect
      .poll(() => sub.frames().length >= 3, { message: "a frame after hibernation", timeout: 5000 })
      .toBe(true);
    sub.ws.send('{"type":"ping"}');
    sub.ws.send('{ "type": "ping" }');
    await expect
      .poll(() => sub.messages.filter((m) => m.type === "pong").length === 2, { message: "two pongs", timeout: 5000 })
      .toBe(true);

    expect(ids(sub.frames()).sort()).toEqual(
      ids([...wanted, afterWake[0] as BusEvent].map((e) => ({ event: e }))).sort(),
    );
    // Every frame names its partition, its seq there and the whole cursor as of that frame.
    for (const f of sub.frames()) {
      expect(f.partition).toBe(partitionOfSubject(f.event.type));
      expect(f.cursor.split(",")).toContain(`${f.partition}:${f.seq}`);
    }
    sub.close();
  });

  it("should deliver an EventType filter's dotted events", async ({ expect }) => {
    const correlation = uniqueId("corr");
    const sub = await openSocket(`?subject=GAME_STATE&correlation_id=${correlation}`);
    const state = event("game.state", { ante: 1 }, correlation);
    await publish([event("game.other", {}, correlation), state]);
    await expect.poll(() => sub.frames().length >= 1, { message: "the game.state frame", timeout: 5000 }).toBe(true);
    await publish([event("game.state", {}, correlation)]);
    await expect.poll(() => sub.frames().length >= 2, { message: "a second frame", timeout: 5000 }).toBe(true);
    expect(sub.frames()[0]?.event).toMatchObject({
      event_id: state.event_id,
      type: "game.state",
      payload: { ante: 1 },
    });
    expect(sub.frames().every((f) => f.event.type === "game.state")).toBe(true);
    // A literal subject lives in one partition: its cursor names that partition only.
    expect(sub.frames()[1]?.cursor).toBe(`${partitionOfSubject("game.state")}:${sub.frames()[1]?.seq}`);
    sub.close();
  });

  it("should answer an invalid message with an error frame and stay open", async ({ expect }) => {
    const sub = await openSocket(`?subject=${uniqueId("err")}.>`);
    sub.ws.send('{"type":"subscribe"}');
    sub.ws.send("not json");
    await expect.poll(() => sub.messages.length >= 2, { message: "two error frames", timeout: 5000 }).toBe(true);
    expect(sub.messages[0]).toMatchObject({ type: "error", error: { code: "invalid_message" } });
    expect(JSON.stringify(sub.messages[0])).toContain("message.type");
    expect(sub.messages[1]).toMatchObject({ type: "error", error: { code: "invalid_json" } });
    sub.ws.send('{ "type": "ping" }');
    await expect
      .poll(() => sub.messages.some((m) => m.type === "pong"), { message: "a pong after the errors", timeout: 5000 })
      .toBe(true);
    sub.close();
  });

  it("should only deliver the subscribed correlation_id", async ({ expect }) => {
    const ns = uniqueId("corr");
    const sub = await openSocket(`?subject=${ns}.>&correlation_id=${ns}-a`);
    await publish([
      event(`${ns}.x`, { n: 1 }, `${ns}-b`),
      event(`${ns}.x`, { n: 2 }, `${ns}-a`),
      event(`${ns}.y`, { n: 3 }, `${ns}-b`),
      event(`${ns}.y`, { n: 4 }, `${ns}-a`),
    ]);
    await expect.poll(() => sub.frames().length >= 2, { message: "two frames", timeout: 5000 }).toBe(true);
    await publish([event(`${ns}.z`, { n: 5 }, `${ns}-a`)]);
    await expect.poll(() => sub.frames().length >= 3, { message: "a third frame", timeout: 5000 }).toBe(true);
    expect(
      sub
        .frames()
        .map((f) => payloadN(f.event))
        .sort(),
    ).toEqual([2, 4, 5]);
    sub.close();
  });
});

describe("EventStream append", () => {
  it("should number new events, mark a repeated event_id duplicate and deliver it once", async ({ expect }) => {
    const subject = `${uniqueId("dup")}.e`;
    const sub = await openSocket(`?subject=${subject}`);
    const a = event(subject, { n: 1 });
    const b = event(subject, { n: 2 });
    const first = await append([a, b]);
    const second = await append([b, a, event(subject, { n: 3 })]);
    expect(first.map((r) => r.duplicate)).toEqual([false, false]);
    expect((first[1]?.seq ?? 0) - (first[0]?.seq ?? 0)).toBe(1);
    expect(second.slice(0, 2)).toEqual([
      { event_id: b.event_id, seq: first[1]?.seq, duplicate: true },
      { event_id: a.event_id, seq: first[0]?.seq, duplicate: true },
    ]);
    expect(second[2]?.duplicate).toBe(false);
    await expect.poll(() => sub.frames().length >= 3, { message: "the third event", timeout: 5000 }).toBe(true);
    expect(sub.frames().map((f) => payloadN(f.event))).toEqual([1, 2, 3]);
    expect(sub.frames().map((f) => f.seq)).toEqual([first[0]?.seq, first[1]?.seq, second[2]?.seq]);
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
    await publish([big, refd, small, slim]);
    await expect.poll(() => sub.frames().length >= 4, { message: "four frames", timeout: 5000 }).toBe(true);
    const byType = new Map(sub.frames().map((f) => [f.event.type, f.event]));
    const [f1, f2, f3, f4] = [big, refd, small, slim].map((e) => byType.get(e.type));
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
    const result = await rpc("x.y").append([bad]);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toContain("events.0.event_id");
  });
});

describe("GET /api/v1/events/stream over SSE", () => {
  it("should stream live events as SSE messages with the cursor as id, and let go of the partitions on disconnect", async ({
    expect,
  }) => {
    const subject = `${uniqueId("sse")}.one`;
    const before = (await rpc(subject).stats()).subscribers;
    const sub = await openSse(`?subject=${subject}`);
    expect(sub.res.headers.get("content-type")).toContain("text/event-stream");
    expect((await rpc(subject).stats()).subscribers).toBe(before + 1);
    const e1 = event(subject, { n: 1 });
    const [r1] = await append([e1]);
    await append([event(subject, { n: 2 })]);
    await expect.poll(() => sub.frames().length >= 2, { message: "two SSE frames", timeout: 5000 }).toBe(true);
    const [first, second] = sub.frames();
    const p = partitionOfSubject(subject);
    expect(first?.id).toBe(`${p}:${r1?.seq}`);
    expect(first?.event).toBe(subject);
    expect(first?.frame).toEqual({ cursor: `${p}:${r1?.seq}`, partition: p, seq: r1?.seq, event: e1 });
    expect(second?.event).toBe(subject);
    await sub.close();
    await expect.poll(async () => (await rpc(subject).stats()).subscribers, { timeout: 3000 }).toBe(before);
  });

  it("should send keep-alive comments on an idle stream", async ({ expect }) => {
    sseKeepAlive.ms = 30;
    try {
      const sub = await openSse(`?subject=${uniqueId("idle")}`);
      await expect
        .poll(() => sub.messages.some((m) => m.comment === "keep-alive"), {
          message: "a keep-alive comment",
          timeout: 5000,
        })
        .toBe(true);
      expect(sub.frames()).toEqual([]);
      await sub.close();
    } finally {
      sseKeepAlive.ms = 15_000;
    }
  });
});

describe("resuming GET /api/v1/events/stream", () => {
  /** Five events of one subject, after one of another; returns their seqs in their partition. */
  async function fiveLogged(subject: string) {
    await publish([event(`noise.${subject}`)]);
    const results = await append([1, 2, 3, 4, 5].map((n) => event(subject, { n })));
    return results.map((r) => r.seq);
  }

  it("should replay after since over WebSocket, then go live, with nothing missed or repeated", async ({ expect }) => {
    const subject = `${uniqueId("resume")}.e`;
    const seqs = await fiveLogged(subject);
    const p = partitionOfSubject(subject);
    const sub = await openSocket(`?subject=${subject}&since=${p}:${seqs[1]}`);
    const [sixth] = await append([event(subject, { n: 6 })]);
    await expect.poll(() => sub.frames().length >= 4, { message: "3 replayed + 1 live", timeout: 5000 }).toBe(true);
    expect(sub.frames().map((f) => payloadN(f.event))).toEqual([3, 4, 5, 6]);
    expect(sub.frames().map((f) => f.seq)).toEqual([seqs[2], seqs[3], seqs[4], sixth?.seq]);
    sub.close();
  });

  it("should resume a wildcard subscription across partitions from the last frame's cursor", async ({ expect }) => {
    const ns = uniqueId("multi");
    const subjects = Array.from({ length: 6 }, (_, i) => `${ns}.s${i}`);
    const first = await openSocket(`?subject=${ns}.>`);
    await publish(subjects.map((s, n) => event(s, { n })));
    await expect.poll(() => first.frames().length >= 6, { message: "six frames", timeout: 5000 }).toBe(true);
    const cursor = first.frames()[2]?.cursor ?? "";
    first.close();
    await publish(subjects.map((s, n) => event(s, { n: n + 6 })));
    const resumed = await openSocket(`?subject=${ns}.>&since=${encodeURIComponent(cursor)}`);
    await expect.poll(() => resumed.frames().length >= 9, { message: "the rest, replayed", timeout: 5000 }).toBe(true);
    const seen = [...first.frames().slice(0, 3), ...resumed.frames()]
      .map((f) => payloadN(f.event))
      .sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => i));
    resumed.close();
  });

  it("should replay after Last-Event-ID over SSE, then go live", async ({ expect }) => {
    const subject = `${uniqueId("resume")}.e`;
    const seqs = await fiveLogged(subject);
    const p = partitionOfSubject(subject);
    const sub = await openSse(`?subject=${subject}`, { "last-event-id": `${p}:${seqs[1]}` });
    await expect.poll(() => sub.frames().length >= 3, { message: "3 replayed", timeout: 5000 }).toBe(true);
    const [sixth] = await append([event(subject, { n: 6 })]);
    await expect.poll(() => sub.frames().length >= 4, { message: "1 live", timeout: 5000 }).toBe(true);
    expect(sub.frames().map((f) => f.id)).toEqual([seqs[2], seqs[3], seqs[4], sixth?.seq].map((s) => `${p}:${s}`));
    await sub.close();
  });

  it("should neither skip nor repeat events appended while the replay is running", async ({ expect }) => {
    const subject = `${uniqueId("race")}.e`;
    await runInDurableObject(stub(subject), (instance: EventStream) => {
      instance.replayBatch = 2;
    });
    try {
      const base = (await rpc(subject).stats()).last_seq;
      await fiveLogged(subject);
      const wanted = Array.from({ length: 20 }, (_, i) => i + 1);
      // One append at a time while both subscribers replay, so appends land before, during and after each step.
      const trickle = async () => {
        for (const n of wanted.slice(5)) await append([event(subject, { n })]);
      };
      const p = partitionOfSubject(subject);
      const [ws, sse] = await Promise.all([
        openSocket(`?subject=${subject}&since=${p}:${base}`),
        openSse(`?subject=${subject}&since=${p}:${base}`),
        trickle(),
      ]);
      await expect
        .poll(() => ws.frames().length >= wanted.length && sse.frames().length >= wanted.length, {
          message: "every frame on both",
          timeout: 5000,
        })
        .toBe(true);
      await new Promise((r) => setTimeout(r, 50));
      expect(ws.frames().map((f) => payloadN(f.event))).toEqual(wanted);
      expect(sse.frames().map((f) => payloadN(f.frame.event))).toEqual(wanted);
      ws.close();
      await sse.close();
    } finally {
      await runInDurableObject(stub(subject), (instance: EventStream) => {
        instance.replayBatch = 500;
      });
    }
  });
});

describe("EventStream replay", () => {
  it("should hand over to live with no gap even when an append lands at every await", async ({ expect }) => {
    const subject = `${uniqueId("handover")}.e`;
    const since = (await rpc(subject).stats()).last_seq;
    await append([1, 2, 3, 4, 5].map((n) => event(subject, { n })));
    const got = await runInDurableObject(stub(subject), async (instance: EventStream, state) => {
      const filter = { patterns: [subject] };
      const received: LogRow[] = [];
      let live = false;
      let n = 5;
      // Every pause of the replay lets one append in, the worst interleaving a real object can see; appends
      // reach the sink only once it is live, as fan-out would.
      const appendOne = async (value: number) => {
        const rows = (await instance.append([event(subject, { n: value })])).ok ? value : -1;
        return rows;
      };
      const log = new StreamLog(state.storage);
      let lastSent = since;
      await replay(log, since, filter, 2, {
        closed: false,
        send: (row) => {
          received.push(row);
          lastSent = row.seq;
        },
        drain: async () => {
          n += 1;
          await appendOne(n);
        },
        goLive: () => {
          live = true;
          // What fan-out would send from here on: everything logged after the replay's end.
          for (const row of log.after(lastSent, 1000))
            if (matchesFilter(filter, row.subject, row.correlation_id)) received.push(row);
        },
      });
      expect(live).toBe(true);
      return received.map((r) => payloadN((JSON.parse(r.frame) as Frame).event));
    });
    expect(got.length).toBeGreaterThan(5);
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
  it("should delete confirmed rows older than the cutoff in chunks bounded by maxRows, and nothing newer", async ({
    expect,
  }) => {
    const subject = `${uniqueId("old")}.e`;
    const old = Date.now() - 30 * 24 * 3600_000;
    // A queue that drops everything: only this test's settle confirms events, so the counts are exact.
    const lossy = fakeBusQueue().queue;
    await runInDurableObject(stub(subject), (instance: EventStream) => {
      instance.clock = () => old;
      instance.queue = lossy;
    });
    let appended: string[];
    try {
      appended = (await append(Array.from({ length: 25 }, (_, n) => event(subject, { n })))).map((r) => r.event_id);
    } finally {
      await runInDurableObject(stub(subject), (instance: EventStream) => {
        instance.clock = () => Date.now();
      });
    }
    await append([event(subject, { fresh: true })]);
    // Unconfirmed events are never pruned: confirm all but one of the old ones.
    await rpc(subject).settle({ delivered: appended.slice(1), deferred: [] });
    await runInDurableObject(stub(subject), (instance: EventStream) => {
      instance.queue = env.BUS;
    });
    const rows = (await rpc(subject).stats()).log_rows;

    const chunks = [];
    for (let i = 0; i < 4; i++) chunks.push(await rpc(subject).prune(old + 1, 10));
    expect(chunks).toEqual([
      { ok: true, deleted: 10, more: true },
      { ok: true, deleted: 10, more: true },
      { ok: true, deleted: 4, more: false },
      { ok: true, deleted: 0, more: false },
    ]);
    const after = await rpc(subject).stats();
    expect(after.log_rows).toBe(rows - 24);
    expect(after.last_seq).toBeGreaterThan(0);
    expect((await rpc(subject).prune(-1, 10)).ok).toBe(false);
  });

  it("should count a partition's subscribers, WebSocket and SSE clients alike", async ({ expect }) => {
    const subject = `${uniqueId("count")}.e`;
    const before = await rpc(subject).stats();
    const ws = await openSocket(`?subject=${subject}`);
    const sse = await openSse(`?subject=${subject}`);
    const during = await rpc(subject).stats();
    expect(during.subscribers).toBe(before.subscribers + 2);
    ws.close();
    await sse.close();
  });
});
