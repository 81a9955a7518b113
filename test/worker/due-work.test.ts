/**
 * DueWork, the one alarm behind a Durable Object's timed work, and AppliedKeys, its exactly-once marks. Both
 * are driven inside a real object's storage (runInDurableObject) with a clock the test moves; the storage's
 * setAlarm is counted to show the hot path costs nothing when an earlier alarm is already pending. The
 * object used lives on a clock a day ahead, so no alarm it sets fires during the test by itself.
 */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, it } from "vitest";
import type { BotzRegistry } from "../../durable-objects/botz-registry";
import { createEvent, type BusEvent } from "../../workers/platform/bus/envelope";
import { Outbox } from "../../workers/platform/bus/outbox";
import { AppliedKeys, KEY_HORIZON_MS } from "../../workers/platform/durable/applied-keys";
import { DueWork, type TimedWork } from "../../workers/platform/durable/due-work";
import { stubOf } from "../../workers/platform/rpc";

const DAY = 24 * 3600_000;
let seq = 0;
const objectName = (what: string) => `due-work-${what}-${++seq}`;

/** The object's state with setAlarm counted; its constructor-time getAlarm is awaited by `ready`. */
function countingState(state: DurableObjectState) {
  const sets: number[] = [];
  let ready: Promise<unknown> = Promise.resolve();
  const storage = {
    getAlarm: () => state.storage.getAlarm(),
    setAlarm: (at: number) => {
      sets.push(at);
      return state.storage.setAlarm(at);
    },
  };
  const ctx = {
    storage,
    blockConcurrencyWhile: (fn: () => Promise<unknown>) => {
      ready = fn();
      return ready;
    },
  } as unknown as DurableObjectState;
  return { ctx, sets, ready: () => ready };
}

/** A work whose due time the test sets, recording the `now` of each run. */
function fakeWork(due: number | null): TimedWork<string> & { due: number | null; runs: number[] } {
  return {
    due,
    runs: [],
    nextDueAt() {
      return this.due;
    },
    run(now: number) {
      this.runs.push(now);
      return `ran at ${now}`;
    },
  };
}

describe("DueWork", () => {
  it("should arm at the earliest time asked and touch storage only when that is earlier", async ({ expect }) => {
    await runInDurableObject(env.BOTZ_REGISTRY.getByName(objectName("arm")), async (_: BotzRegistry, state) => {
      const t0 = Date.now() + DAY;
      const { ctx, sets, ready } = countingState(state);
      await state.storage.deleteAlarm();
      const due = new DueWork(ctx, { clock: () => t0, work: { a: fakeWork(null) } });
      await ready();
      await due.armBy(t0 + 5000);
      await due.armBy(t0 + 9000);
      due.dueBy(t0 + 7000);
      due.dueBy(t0 + 1000);
      due.dueBy(t0 + 3000);
      await due.arm();
      await due.arm();
      expect(sets).toEqual([t0 + 5000, t0 + 1000]);
      expect(await state.storage.getAlarm()).toBe(t0 + 1000);
      await state.storage.deleteAlarm();
    });
  });

  it("should pick up an alarm already pending when the object starts", async ({ expect }) => {
    await runInDurableObject(env.BOTZ_REGISTRY.getByName(objectName("restart")), async (_: BotzRegistry, state) => {
      const t0 = Date.now() + DAY;
      await state.storage.setAlarm(t0 + 1000);
      const { ctx, sets, ready } = countingState(state);
      const due = new DueWork(ctx, { clock: () => t0, work: { a: fakeWork(null) } });
      await ready();
      await due.armBy(t0 + 2000);
      expect(sets).toEqual([]);
      await due.armBy(t0 + 500);
      expect(sets).toEqual([t0 + 500]);
      await state.storage.deleteAlarm();
    });
  });

  it("should run every work in order at the clock's now and re-arm at the earliest next due", async ({ expect }) => {
    await runInDurableObject(env.BOTZ_REGISTRY.getByName(objectName("tick")), async (_: BotzRegistry, state) => {
      let now = Date.now() + DAY;
      const { ctx, sets, ready } = countingState(state);
      await state.storage.deleteAlarm();
      const order: string[] = [];
      const first = fakeWork(now + 30_000);
      const second = fakeWork(now + 20_000);
      const idle = fakeWork(null);
      const work = {
        first: { ...first, run: (t: number) => (order.push("first"), first.run(t)), nextDueAt: () => first.due },
        second: { ...second, run: (t: number) => (order.push("second"), second.run(t)), nextDueAt: () => second.due },
        idle,
      };
      const due = new DueWork(ctx, { clock: () => now, work });
      await ready();
      const start = now;
      const results = await due.tick();
      expect(order).toEqual(["first", "second"]);
      expect(results).toEqual({ first: `ran at ${start}`, second: `ran at ${start}`, idle: `ran at ${start}` });
      expect(sets).toEqual([start + 20_000]);

      // Work already overdue is armed for now, not for the past.
      now += 60_000;
      second.due = now - 5000;
      await due.tick();
      expect(sets.at(-1)).toBe(now);
      await state.storage.deleteAlarm();
    });
  });

  it("should join a tick under way instead of running the work twice", async ({ expect }) => {
    await runInDurableObject(env.BOTZ_REGISTRY.getByName(objectName("join")), async (_: BotzRegistry, state) => {
      const now = Date.now() + DAY;
      const { ctx, ready } = countingState(state);
      let runs = 0;
      let release = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      const slow: TimedWork<number> = {
        nextDueAt: () => null,
        run: async () => {
          runs++;
          await gate;
          return runs;
        },
      };
      const due = new DueWork(ctx, { clock: () => now, work: { slow } });
      await ready();
      const a = due.tick();
      const b = due.tick();
      release();
      expect(await Promise.all([a, b])).toEqual([{ slow: 1 }, { slow: 1 }]);
      expect(runs).toBe(1);
      expect(await due.tick()).toEqual({ slow: 2 });
    });
  });

  it("should forget the alarm that fired, so the next request arms again", async ({ expect }) => {
    await runInDurableObject(env.BOTZ_REGISTRY.getByName(objectName("fired")), async (_: BotzRegistry, state) => {
      const now = Date.now() + DAY;
      const { ctx, sets, ready } = countingState(state);
      await state.storage.deleteAlarm();
      const due = new DueWork(ctx, { clock: () => now, work: { a: fakeWork(null) } });
      await ready();
      await due.armBy(now + 1000);
      // The runtime clears a fired alarm; nothing is due afterwards, so the tick arms nothing.
      await state.storage.deleteAlarm();
      await due.alarm();
      await due.armBy(now + 5000);
      expect(sets).toEqual([now + 1000, now + 5000]);
      await state.storage.deleteAlarm();
    });
  });

  it("should set alarms as a delay from real time when asked, for objects whose tests move the clock", async ({
    expect,
  }) => {
    await runInDurableObject(env.BOTZ_REGISTRY.getByName(objectName("real")), async (_: BotzRegistry, state) => {
      const { ctx, sets, ready } = countingState(state);
      await state.storage.deleteAlarm();
      // The object's clock runs ten days behind; an alarm on its instant would have fired long ago.
      const behind = 10 * DAY;
      const due = new DueWork(ctx, {
        clock: () => Date.now() - behind,
        alarmTime: "real",
        work: { a: fakeWork(null) },
      });
      await ready();
      const before = Date.now();
      await due.armBy(Date.now() - behind + DAY);
      const after = Date.now();
      expect(sets).toHaveLength(1);
      expect(sets[0]).toBeGreaterThanOrEqual(before + DAY);
      expect(sets[0]).toBeLessThanOrEqual(after + DAY);
      await state.storage.deleteAlarm();
    });
  });

  it("should arm the outbox's batching delay when an event is added, and flush it on the tick", async ({ expect }) => {
    await runInDurableObject(env.BOTZ_REGISTRY.getByName(objectName("outbox")), async (_: BotzRegistry, state) => {
      let now = Date.now() + DAY;
      const { ctx, sets, ready } = countingState(state);
      await state.storage.deleteAlarm();
      const sent: BusEvent[] = [];
      const outbox = new Outbox(
        state.storage.sql,
        (events) => {
          sent.push(...events);
          return Promise.resolve();
        },
        { flushDelayMs: 250 },
      );
      const due = new DueWork(ctx, { clock: () => now, work: { outbox } });
      await ready();
      const start = now;
      state.storage.transactionSync(() => {
        outbox.add(createEvent({ type: "a.one", source: "t", payload: 1, now }));
        outbox.add(createEvent({ type: "a.two", source: "t", payload: 2, now }));
      });
      await due.arm();
      expect(sets).toEqual([start + 250]);
      now += 250;
      expect(await due.tick()).toEqual({ outbox: { sent: 2 } });
      expect(sent.map((e) => e.type)).toEqual(["a.one", "a.two"]);
      expect(outbox.size()).toBe(0);
      expect(sets).toEqual([start + 250]);
      await state.storage.deleteAlarm();
    });
  });

  it("should re-arm for the outbox's backoff when sending fails", async ({ expect }) => {
    await runInDurableObject(env.BOTZ_REGISTRY.getByName(objectName("backoff")), async (_: BotzRegistry, state) => {
      const now = Date.now() + DAY;
      const { ctx, sets, ready } = countingState(state);
      await state.storage.deleteAlarm();
      const outbox = new Outbox(state.storage.sql, () => Promise.reject(new Error("bus down")));
      const due = new DueWork(ctx, { clock: () => now, work: { outbox } });
      await ready();
      outbox.add(createEvent({ type: "a.one", source: "t", payload: 1, now }));
      expect(await due.tick()).toEqual({ outbox: { sent: 0, error: "bus down" } });
      // First retry after 2 s (1000 * 2^1).
      expect(sets.at(-1)).toBe(now + 2000);
      await state.storage.deleteAlarm();
    });
  });

  it("should run an object's due work when its alarm fires (BotzRegistry's outbox)", async ({ expect }) => {
    const name = objectName("registry-alarm");
    const stub = env.BOTZ_REGISTRY.getByName(name);
    await runInDurableObject(stub, (registry: BotzRegistry) => {
      registry.clock = () => Date.now() + DAY;
    });
    const instance = { botz_name: "t", instance_id: "due-work-bot", skill_level: "basic" as const };
    await stubOf(env.BOTZ_REGISTRY, name).register({
      ...instance,
      botz_id: "due-work-bot",
      available_mcp_tools: [],
      metadata: {},
    });
    const pending = () =>
      runInDurableObject(stub, async (_: BotzRegistry, state) => ({
        outbox: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n,
        alarm: await state.storage.getAlarm(),
      }));
    const before = await pending();
    expect(before.outbox).toBe(1);
    expect(before.alarm).not.toBeNull();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const after = await pending();
    expect(after.outbox).toBe(0);
    await runInDurableObject(stub, (_: BotzRegistry, state) => state.storage.deleteAlarm());
  });
});

describe("AppliedKeys", () => {
  it("should apply a key once, and forget it when the transaction rolls back", async ({ expect }) => {
    await runInDurableObject(env.BOTZ_REGISTRY.getByName(objectName("keys")), (_: BotzRegistry, state) => {
      const keys = new AppliedKeys(state.storage.sql);
      const now = 1_000_000;
      expect(state.storage.transactionSync(() => keys.claim("e1:h", now))).toBe(true);
      expect(state.storage.transactionSync(() => keys.claim("e1:h", now + 1))).toBe(false);
      expect(keys.claim("e1:other", now)).toBe(true);
      expect(() =>
        state.storage.transactionSync(() => {
          keys.claim("e2:h", now);
          throw new Error("the change failed");
        }),
      ).toThrow("the change failed");
      expect(keys.has("e2:h")).toBe(false);
      expect(keys.claim("e2:h", now)).toBe(true);
    });
  });

  it("should prune keys older than its horizon and say when the next prune is due", async ({ expect }) => {
    await runInDurableObject(env.BOTZ_REGISTRY.getByName(objectName("prune")), (_: BotzRegistry, state) => {
      const keys = new AppliedKeys(state.storage.sql);
      const t0 = 10 * DAY;
      expect(keys.nextDueAt(t0)).toBeNull();
      keys.claim("old", t0);
      keys.claim("new", t0 + DAY);
      expect(keys.nextDueAt(t0)).toBe(t0 + KEY_HORIZON_MS);
      expect(keys.run(t0 + KEY_HORIZON_MS)).toEqual({ pruned: 0 });
      expect(keys.run(t0 + KEY_HORIZON_MS + 1)).toEqual({ pruned: 1 });
      expect(keys.has("old")).toBe(false);
      expect(keys.has("new")).toBe(true);
      expect(KEY_HORIZON_MS).toBe(8 * DAY);
    });
  });
});
