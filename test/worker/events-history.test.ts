/**
 * GET /api/v1/events (history): filters, wildcards, EventType names, time in ms or ISO, order, cursor; and
 * the consumer storing a redelivered event once.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, it } from "vitest";
import { createEvent, type BusEvent } from "../../workers/platform/bus/envelope";
import { call, json, token } from "./helpers";
import { deliverToBus } from "./support/queue";

interface Page {
  events: { event_id: string; type: string; source: string; timestamp: string }[];
  next_cursor: string | null;
}

const T0 = Date.parse("2026-03-01T00:00:00Z");
const seeded: BusEvent[] = [
  createEvent({
    type: "botz.registered.v1",
    source: "botz-gateway",
    payload: {},
    now: T0 + 1000,
    correlationId: "run-1",
  }),
  createEvent({
    type: "botz.workitem.claimed.v1",
    source: "botz-gateway",
    payload: {},
    now: T0 + 2000,
    correlationId: "run-1",
  }),
  createEvent({ type: "metrics.cpu", source: "pi-1", payload: { v: 1 }, now: T0 + 3000 }),
  createEvent({ type: "metrics.cpu.core0", source: "pi-1", payload: { v: 2 }, now: T0 + 4000 }),
  createEvent({ type: "game.state", source: "BalatroMCP", payload: { ante: 1 }, now: T0 + 5000 }),
  createEvent({ type: "crush.heartbeat.v1", source: "crush", payload: {}, now: T0 + 6000 }),
];

async function deliver(events: BusEvent[]) {
  return (await deliverToBus(events)).result;
}

async function history(query: string): Promise<Page> {
  const res = await call(`/api/v1/events?${query}`, { token: await token(["events:read"]) });
  if (res.status !== 200) throw new Error(`history ${query}: ${res.status} ${await res.text()}`);
  return json<Page>(res);
}

const window = `from=${T0}&to=${new Date(T0 + 10_000).toISOString()}`;
const ids = (p: Page) => p.events.map((e) => e.event_id);

describe("GET /api/v1/events", () => {
  beforeAll(async () => {
    await deliver(seeded);
  });

  it("should store a redelivered event once", async ({ expect }) => {
    const result = await deliver([seeded[0] as BusEvent, seeded[0] as BusEvent]);
    expect(result.explicitAcks).toHaveLength(2);
    const count = await env.DB.prepare("SELECT COUNT(*) AS n FROM events WHERE event_id = ?")
      .bind(seeded[0]?.event_id)
      .first<{ n: number }>();
    expect(count?.n).toBe(1);
  });

  it("should return the window in time order, ascending or descending", async ({ expect }) => {
    expect(ids(await history(window))).toEqual(seeded.map((e) => e.event_id));
    expect(ids(await history(`${window}&order=desc`))).toEqual(seeded.map((e) => e.event_id).reverse());
  });

  it("should filter by wildcard subjects and EventType names", async ({ expect }) => {
    const [reg, claimed, cpu, core, game, beat] = seeded.map((e) => e.event_id);
    expect(ids(await history(`${window}&subject=botz.>`))).toEqual([reg, claimed]);
    expect(ids(await history(`${window}&subject=metrics.*`))).toEqual([cpu]);
    expect(ids(await history(`${window}&type=METRIC`))).toEqual([cpu, core]);
    expect(ids(await history(`${window}&type=GAME_STATE&subject=HEARTBEAT`))).toEqual([game, beat]);
    expect(ids(await history(`${window}&subject=jimbot.game.state`))).toEqual([game]);
  });

  it("should filter by source and correlation_id", async ({ expect }) => {
    expect(ids(await history(`${window}&source=pi-1`))).toHaveLength(2);
    expect(ids(await history(`${window}&correlation_id=run-1`))).toEqual([seeded[0]?.event_id, seeded[1]?.event_id]);
  });

  it("should page with a cursor without gaps or repeats, wildcards included", async ({ expect }) => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await history(`${window}&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...ids(page));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(seeded.map((e) => e.event_id));
    const first = await history(`${window}&subject=*.heartbeat.*&limit=1`);
    expect(ids(first)).toEqual([seeded[5]?.event_id]);
  });

  it("should reject bad filters naming the field", async ({ expect }) => {
    for (const [query, field] of [
      ["from=yesterday", "query.from"],
      ["subject=a..b", "query.subject"],
      ["limit=5000", "query.limit"],
      ["order=sideways", "query.order"],
      ["cursor=nope", "query.cursor"],
    ]) {
      const res = await call(`/api/v1/events?${query}`, { token: await token(["events:read"]) });
      expect(res.status, query).toBe(400);
      expect((await res.json<{ error: { message: string } }>()).error.message).toContain(field);
    }
  });
});
