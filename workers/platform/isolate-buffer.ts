/**
 * The one way to "buffer in the isolate, flush from `waitUntil`": requests add to memory only, and one
 * delayed flush per isolate — scheduled through the calling request's `waitUntil` — hands everything buffered
 * to `send`, so no storage or network write sits on a request's critical path and many requests share one
 * write. What the buffer holds is the caller's (a bounded list, summed counters, or its own shape behind
 * `BufferStore`); what happens to a batch whose `send` failed is chosen per use: put back for the next flush
 * (metrics, spend, inference rows) or dropped (spans to a collector that is down).
 */

export type WaitUntil = (p: Promise<unknown>) => void;

/** Where the items wait. `take` empties it; `putBack` returns a failed batch (the store keeps its own bound). */
export interface BufferStore<B> {
  isEmpty(): boolean;
  take(): B;
  putBack(batch: B): void;
  clear(): void;
}

export interface IsolateBufferOptions<B, C> {
  store: BufferStore<B>;
  /** How long items wait for company before the flush. */
  delayMs: number;
  /** Writes one batch; `ctx` (an Env, say) is the one passed by the call that started the flush. */
  send: (batch: B, ctx: C) => Promise<void>;
  onFailure: "put-back" | "drop";
  /** Told about a failed scheduled flush (the batch is already put back or dropped); flushNow rethrows instead. */
  onError?: (err: unknown, ctx: C) => void;
  /** Injected in tests; the runtime's `scheduler.wait` otherwise. */
  wait?: (ms: number) => Promise<void>;
}

export interface IsolateBuffer<C> {
  /** Arranges one delayed flush for this isolate unless one is pending; a no-op while the store is empty. */
  schedule(ctx: C, waitUntil: WaitUntil): void;
  /** Sends what is buffered now; a failure is handled per `onFailure` and rethrown. */
  flushNow(ctx: C): Promise<void>;
  /** True while a delayed flush is pending. */
  readonly scheduled: boolean;
  /** Forgets everything buffered and any pending flush (tests, as a fresh isolate would start). */
  reset(): void;
}

export function createIsolateBuffer<B, C>(options: IsolateBufferOptions<B, C>): IsolateBuffer<C> {
  const { store, delayMs, send, onFailure, onError } = options;
  const wait = options.wait ?? ((ms: number) => scheduler.wait(ms));
  let scheduled = false;
  // A reset while a flush waits must not let that stale flush clear a newer schedule's flag.
  let generation = 0;

  async function sendBatch(ctx: C): Promise<void> {
    if (store.isEmpty()) return;
    const batch = store.take();
    try {
      await send(batch, ctx);
    } catch (err) {
      if (onFailure === "put-back") store.putBack(batch);
      throw err;
    }
  }

  async function delayed(ctx: C, mine: number): Promise<void> {
    await wait(delayMs);
    if (mine !== generation) return;
    // Cleared before sending, so items added while this batch is in flight schedule the next flush.
    scheduled = false;
    try {
      await sendBatch(ctx);
    } catch (err) {
      onError?.(err, ctx);
    }
  }

  return {
    schedule(ctx, waitUntil) {
      if (scheduled || store.isEmpty()) return;
      scheduled = true;
      waitUntil(delayed(ctx, generation));
    },
    // A delayed flush already sending its batch is not awaited: a promise from another request's context
    // must not be awaited in workerd, and that batch lands in milliseconds anyway.
    flushNow: sendBatch,
    get scheduled() {
      return scheduled;
    },
    reset() {
      generation++;
      scheduled = false;
      store.clear();
    },
  };
}

/** A FIFO list holding at most `max` items; past that the oldest are dropped, also when a batch is put back. */
export function boundedList<T>(max: number): BufferStore<T[]> & { push(item: T): void; readonly length: number } {
  let items: T[] = [];
  return {
    push(item) {
      if (items.length >= max) items.shift();
      items.push(item);
    },
    get length() {
      return items.length;
    },
    isEmpty: () => items.length === 0,
    take() {
      const batch = items;
      items = [];
      return batch;
    },
    // The failed batch is older than what arrived meanwhile, so it goes in front and is the first to drop.
    putBack(batch) {
      const merged = batch.concat(items);
      items = merged.length > max ? merged.slice(merged.length - max) : merged;
    },
    clear() {
      items = [];
    },
  };
}

/** Numbers summed per key (counter deltas, spend): a put-back batch is added to what arrived meanwhile. */
export function summedMap<V extends { amount: number }>(): BufferStore<Map<string, V>> & {
  /** Adds `by` to the key's amount; `make` builds its entry (amount 0) the first time. */
  add(key: string, by: number, make: () => V): void;
  entries(): MapIterator<[string, V]>;
  readonly size: number;
} {
  let entries = new Map<string, V>();
  const merge = (key: string, value: V) => {
    const have = entries.get(key);
    if (have) have.amount += value.amount;
    else entries.set(key, value);
  };
  return {
    add(key, by, make) {
      let have = entries.get(key);
      if (!have) {
        have = make();
        entries.set(key, have);
      }
      have.amount += by;
    },
    entries: () => entries.entries(),
    get size() {
      return entries.size;
    },
    isEmpty: () => entries.size === 0,
    take() {
      const batch = entries;
      entries = new Map();
      return batch;
    },
    putBack(batch) {
      for (const [key, value] of batch) merge(key, value);
    },
    clear() {
      entries = new Map();
    },
  };
}
