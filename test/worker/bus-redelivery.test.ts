/**
 * No accepted event is lost: a bus partition logs every event before the publisher hears "accepted", forwards
 * it to the queue, and re-sends it — with a doubling delay — until the consumer settles it. Faults injected: a
 * queue that silently loses messages, a queue that refuses them, a consumer that retries (deferral), and the
 * whole path with the real queue and consumer settling events.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, it } from "vitest";
import type { EventStream } from "../../durable-objects/event-stream";
import { createEvent } from "../../workers/platform/bus/envelope";
import { busPartition, partitionCount } from "../../workers/platform/bus/partition-client";
import { partitionName, partitionOf } from "../../workers/platform/bus/partitions";
import { ADMIN, call, token, uniqueId } from "./helpers";
import { withClock } from "./support/clock";
import { fakeBusQueue } from "./support/queue";

const REDELIVERY_MS = 5 * 60_000; // BUS_REDELIVERY_AFTER's default
const COUNT = partitionCount(env);

/** Runs `fn` against a subject's partition with a fake queue and a movable clock, restoring both after. */
async function withPartition<T>(subject: string, fn: (p: EventStream, move: (ms: number) => void) => Promise<T>) {
  const stub = env.EVENT_STREAM.getByName(partitionName(partitionOf(subject, COUNT)));
  return withClock(stub, async (instance: EventStream, move) => {
    const realQueue = instance.queue;
    try {
      return await fn(instance, move);
    } finally {
      instance.queue = realQueue;
    }
  });
}

describe("bus partition redelivery", () => {
  it("should re-send an event the queue lost until the consumer settles it, doubling the wait", async ({ expect }) => {
    const subject = `${uniqueId("lost")}.e`;
    const event = createEvent({ type: subject, source: "t", payload: { n: 1 } });
    await withPartition(subject, async (p, move) => {
      const lossy = fakeBusQueue({ refuse: false });
      p.queue = lossy.queue;
      // The partition may hold other tests' unsettled events: count only this one's sends.
      const sends = () => lossy.sent.filter((e) => e.event_id === event.event_id).length;
      expect((await p.append([event])).ok).toBe(true);
      await expect.poll(sends).toBe(1);
      await p.tick();
      expect(sends()).toBe(1);
      move(REDELIVERY_MS);
      await p.tick();
      expect(sends()).toBe(2);
      move(REDELIVERY_MS);
      // The second re-send waits twice as long.
      await p.tick();
      expect(sends()).toBe(2);
      move(REDELIVERY_MS);
      await p.tick();
      expect(sends()).toBe(3);
      expect(await p.settle({ delivered: [event.event_id], deferred: [] })).toEqual({
        ok: true,
        delivered: 1,
        deferred: 0,
      });
      move(24 * 3600_000);
      await p.tick();
      expect(sends()).toBe(3);
    });
  });

  it("should keep events the queue refused and send them, in order, once it takes them", async ({ expect }) => {
    const subject = `${uniqueId("refused")}.e`;
    const events = [1, 2, 3].map((n) => createEvent({ type: subject, source: "t", payload: { n } }));
    await withPartition(subject, async (p, move) => {
      const mode = { refuse: true };
      const queue = fakeBusQueue(mode);
      p.queue = queue.queue;
      expect((await p.append(events)).ok).toBe(true);
      expect((await p.stats()).undelivered).toBeGreaterThanOrEqual(3);
      mode.refuse = false;
      move(10_000);
      expect((await p.tick()).resent).toBeGreaterThanOrEqual(3);
      expect(queue.sent.filter((e) => e.type === subject).map((e) => e.payload)).toEqual([
        { n: 1 },
        { n: 2 },
        { n: 3 },
      ]);
    });
  });

  it("should hold back an event the consumer is retrying until the queue had its chance", async ({ expect }) => {
    const subject = `${uniqueId("deferred")}.e`;
    const event = createEvent({ type: subject, source: "t", payload: {} });
    await withPartition(subject, async (p, move) => {
      const lossy = fakeBusQueue({ refuse: false });
      p.queue = lossy.queue;
      const sends = () => lossy.sent.filter((e) => e.event_id === event.event_id).length;
      await p.append([event]);
      await expect.poll(sends).toBe(1);
      await p.settle({ delivered: [], deferred: [{ event_id: event.event_id, delay_ms: 30 * 60_000 }] });
      move(REDELIVERY_MS);
      await p.tick();
      expect(sends()).toBe(1);
      move(30 * 60_000);
      await p.tick();
      expect(sends()).toBe(2);
    });
  });

  it("should send an event it already delivered once more for a dead-letter replay", async ({ expect }) => {
    const subject = `${uniqueId("replayed")}.e`;
    const event = createEvent({ type: subject, source: "t", payload: {} });
    await withPartition(subject, async (p) => {
      const queue = fakeBusQueue({ refuse: false });
      p.queue = queue.queue;
      await p.append([event]);
      const mine = () => queue.sent.filter((e) => e.event_id === event.event_id);
      await expect.poll(() => mine().length).toBe(1);
      await p.settle({ delivered: [event.event_id], deferred: [] });
      // A plain repeat is a duplicate and goes nowhere; a replay goes to the queue again, unchanged.
      expect(await p.append([event])).toMatchObject({ ok: true, results: [{ duplicate: true }] });
      expect(await p.append([event], { redeliver: true })).toMatchObject({ ok: true, results: [{ duplicate: true }] });
      await expect.poll(() => mine().length).toBe(2);
      expect(mine()[1]).toEqual(event);
    });
  });

  it("should have the real consumer settle every published event", async ({ expect }) => {
    const subject = `${uniqueId("settled")}.e`;
    const auth = await token(["events:publish", "events:read"]);
    for (let n = 0; n < 5; n++) {
      const res = await call("/api/v1/events", { token: auth, body: { type: subject, source: "t", payload: { n } } });
      expect(res.status).toBe(202);
    }
    const stub = env.EVENT_STREAM.getByName(partitionName(partitionOf(subject, COUNT)));
    const unsettled = () =>
      runInDurableObject(
        stub,
        (_: EventStream, state) =>
          state.storage.sql
            .exec<{ n: number }>(
              "SELECT COUNT(*) AS n FROM events WHERE subject = ? AND resend_at IS NOT NULL",
              subject,
            )
            .one().n,
      );
    expect(await busPartition(env, partitionOf(subject, COUNT)).stats()).toMatchObject({
      partition: partitionName(partitionOf(subject, COUNT)),
    });
    await expect.poll(unsettled, { timeout: 10_000 }).toBe(0);
    const history = await call(`/api/v1/events?subject=${subject}`, { token: await ADMIN() });
    expect((await history.json<{ events: unknown[] }>()).events).toHaveLength(5);
  });
});
