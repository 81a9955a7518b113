/**
 * The isolate buffer on its own: one delayed flush per isolate through the caller's waitUntil, items that
 * arrive meanwhile riding along, the put-back and drop policies, the bound, and flushNow. The delay is an
 * injected gate, so nothing here sleeps.
 */
import { describe, it } from "vitest";
import { boundedList, createIsolateBuffer, summedMap, type WaitUntil } from "../../workers/platform/isolate-buffer";

/** A `wait` whose timers fire only when the test says so. */
function manualClock() {
  const due: (() => void)[] = [];
  return {
    wait: (ms: number) => {
      void ms;
      return new Promise<void>((resolve) => due.push(resolve));
    },
    get pending() {
      return due.length;
    },
    fire() {
      for (const resolve of due.splice(0)) resolve();
    },
  };
}

/** A waitUntil that keeps the promises so the test can await the flushes it started. */
function collector() {
  const promises: Promise<unknown>[] = [];
  const waitUntil: WaitUntil = (p) => promises.push(p);
  return { waitUntil, promises, settle: () => Promise.all(promises.splice(0)) };
}

function listBuffer(onFailure: "put-back" | "drop", send: (batch: number[], ctx: string) => Promise<void>, max = 100) {
  const clock = manualClock();
  const store = boundedList<number>(max);
  const errors: unknown[] = [];
  const buffer = createIsolateBuffer<number[], string>({
    store,
    delayMs: 250,
    send,
    onFailure,
    onError: (err) => errors.push(err),
    wait: clock.wait,
  });
  return { clock, store, buffer, errors };
}

describe("createIsolateBuffer", () => {
  it("should send everything added before the delay ends in one batch, scheduling through waitUntil once", async ({
    expect,
  }) => {
    const sent: [number[], string][] = [];
    const { clock, store, buffer } = listBuffer("put-back", (batch, ctx) => {
      sent.push([batch, ctx]);
      return Promise.resolve();
    });
    const w = collector();
    for (let i = 1; i <= 3; i++) {
      store.push(i);
      buffer.schedule(`ctx-${i}`, w.waitUntil);
    }
    expect(w.promises.length).toBe(1);
    expect(buffer.scheduled).toBe(true);
    expect(sent).toEqual([]);
    clock.fire();
    await w.settle();
    // The context is the one of the call that started the flush.
    expect(sent).toEqual([[[1, 2, 3], "ctx-1"]]);
    expect(buffer.scheduled).toBe(false);
    expect(store.length).toBe(0);
  });

  it("should not schedule while the store is empty", ({ expect }) => {
    const { buffer } = listBuffer("put-back", () => Promise.resolve());
    const w = collector();
    buffer.schedule("ctx", w.waitUntil);
    expect(w.promises.length).toBe(0);
    expect(buffer.scheduled).toBe(false);
  });

  it("should let items added while a batch is in flight schedule the next flush", async ({ expect }) => {
    const sent: number[][] = [];
    let release: () => void = () => undefined;
    const { clock, store, buffer } = listBuffer("put-back", (batch) => {
      sent.push(batch);
      return new Promise<void>((resolve) => (release = resolve));
    });
    const w = collector();
    store.push(1);
    buffer.schedule("ctx", w.waitUntil);
    clock.fire();
    await expect.poll(() => sent.length).toBe(1);
    store.push(2);
    buffer.schedule("ctx", w.waitUntil);
    expect(w.promises.length).toBe(2);
    release();
    clock.fire();
    await expect.poll(() => sent.length).toBe(2);
    release();
    await w.settle();
    expect(sent).toEqual([[1], [2]]);
  });

  it("should put a failed batch back in front of newer items and send it with the next flush", async ({ expect }) => {
    const sent: number[][] = [];
    let fail = true;
    const { clock, store, buffer, errors } = listBuffer("put-back", (batch) => {
      sent.push([...batch]);
      return fail ? Promise.reject(new Error("D1 down")) : Promise.resolve();
    });
    const w = collector();
    store.push(1);
    store.push(2);
    buffer.schedule("ctx", w.waitUntil);
    clock.fire();
    await w.settle();
    expect(errors.map((e) => (e instanceof Error ? e.message : e))).toEqual(["D1 down"]);
    expect(store.length).toBe(2);
    fail = false;
    store.push(3);
    buffer.schedule("ctx", w.waitUntil);
    clock.fire();
    await w.settle();
    expect(sent).toEqual([
      [1, 2],
      [1, 2, 3],
    ]);
    expect(store.length).toBe(0);
  });

  it("should drop a failed batch under the drop policy", async ({ expect }) => {
    const { clock, store, buffer, errors } = listBuffer("drop", () => Promise.reject(new Error("collector down")));
    const w = collector();
    store.push(1);
    buffer.schedule("ctx", w.waitUntil);
    clock.fire();
    await w.settle();
    expect(errors.length).toBe(1);
    expect(store.length).toBe(0);
    expect(buffer.scheduled).toBe(false);
  });

  it("should send at once on flushNow and rethrow a failure after putting the batch back", async ({ expect }) => {
    let fail = true;
    const sent: number[][] = [];
    const { store, buffer, errors } = listBuffer("put-back", (batch) => {
      sent.push([...batch]);
      return fail ? Promise.reject(new Error("shard down")) : Promise.resolve();
    });
    store.push(7);
    await expect(buffer.flushNow("ctx")).rejects.toThrow("shard down");
    expect(store.length).toBe(1);
    // flushNow reports to its caller, not to onError.
    expect(errors).toEqual([]);
    fail = false;
    await buffer.flushNow("ctx");
    expect(sent).toEqual([[7], [7]]);
    await buffer.flushNow("ctx");
    expect(sent.length).toBe(2);
  });

  it("should forget items and a pending flush on reset, and the stale flush should send nothing", async ({
    expect,
  }) => {
    const sent: number[][] = [];
    const { clock, store, buffer } = listBuffer("put-back", (batch) => {
      sent.push(batch);
      return Promise.resolve();
    });
    const w = collector();
    store.push(1);
    buffer.schedule("ctx", w.waitUntil);
    buffer.reset();
    expect(buffer.scheduled).toBe(false);
    store.push(2);
    buffer.schedule("ctx", w.waitUntil);
    expect(w.promises.length).toBe(2);
    clock.fire();
    await w.settle();
    expect(sent).toEqual([[2]]);
  });
});

describe("boundedList", () => {
  it("should drop the oldest items past its bound, also when a failed batch is put back", ({ expect }) => {
    const list = boundedList<number>(3);
    for (let i = 1; i <= 5; i++) list.push(i);
    expect(list.take()).toEqual([3, 4, 5]);
    list.push(6);
    list.push(7);
    list.putBack([3, 4, 5]);
    expect(list.take()).toEqual([5, 6, 7]);
    expect(list.isEmpty()).toBe(true);
  });
});

describe("summedMap", () => {
  it("should sum per key and add a put-back batch to what arrived meanwhile", ({ expect }) => {
    const sums = summedMap<{ label: string; amount: number }>();
    const make = (label: string) => () => ({ label, amount: 0 });
    sums.add("a", 2, make("A"));
    sums.add("a", 3, make("A"));
    sums.add("b", 1, make("B"));
    const batch = sums.take();
    expect([...batch]).toEqual([
      ["a", { label: "A", amount: 5 }],
      ["b", { label: "B", amount: 1 }],
    ]);
    sums.add("a", 10, make("A"));
    sums.putBack(batch);
    expect([...sums.entries()]).toEqual([
      ["a", { label: "A", amount: 15 }],
      ["b", { label: "B", amount: 1 }],
    ]);
    expect(sums.size).toBe(2);
  });
});
