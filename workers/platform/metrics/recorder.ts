/**
 * The per-isolate metrics buffer. Requests only add to memory; a flush hands the accumulated deltas to a
 * MetricsShard Durable Object from `waitUntil`, at most once a second, so no storage write ever sits
 * on a request's critical path. A failed flush puts its deltas back.
 */
import type { TimedWork } from "../durable/due-work";
import type { Env } from "../env";
import { createIsolateBuffer, summedMap, type BufferStore } from "../isolate-buffer";
import type { MetricFamily } from "./catalog";
import { seriesKey, type Labels } from "./series";
import { metricsShard } from "./shard";

export const METRIC_SHARDS = 4;
/**
 * Once a second, not four times: a flush costs about the same whatever it carries (every series' delta, each
 * histogram expanded to its buckets, one upsert per key in the shard), and under local workerd (`npm start`,
 * the bench) the shard runs in the request isolate itself, so each flush is a pause every request waits out.
 * `/metrics` flushes the isolate it runs on first, so it never reads a second behind that isolate.
 */
const FLUSH_DELAY_MS = 1000;

const counters = summedMap<{ amount: number }>();
const newCell = () => ({ amount: 0 });
/** Histogram observations per series, kept as arrays so a request costs one map lookup, not fourteen. */
const histograms = new Map<
  string,
  { family: MetricFamily; labels: Labels; buckets: number[]; sum: number; count: number }
>();

function add(key: string, by: number): void {
  counters.add(key, by, newCell);
}

export function increment(family: MetricFamily, labels: Labels = {}, by = 1): void {
  add(seriesKey(family.name, labels), by);
}

/** Records one histogram observation; it becomes cumulative bucket, sum and count series when flushed. */
export function observe(family: MetricFamily, labels: Labels, value: number): void {
  const key = seriesKey(family.name, labels);
  let cell = histograms.get(key);
  if (!cell) {
    cell = { family, labels, buckets: new Array<number>(family.buckets?.length ?? 0).fill(0), sum: 0, count: 0 };
    histograms.set(key, cell);
  }
  const bounds = family.buckets ?? [];
  for (let i = 0; i < bounds.length; i++)
    if (value <= (bounds[i] as number)) cell.buckets[i] = (cell.buckets[i] ?? 0) + 1;
  cell.sum += value;
  cell.count += 1;
}

/** Counters and histograms as one store: a batch is the summed delta of every series, histograms expanded. */
const store: BufferStore<[string, number][]> = {
  isEmpty: () => counters.isEmpty() && histograms.size === 0,
  take() {
    for (const { family, labels, buckets, sum, count } of histograms.values()) {
      const bounds = family.buckets ?? [];
      bounds.forEach((le, i) =>
        add(seriesKey(`${family.name}_bucket`, { ...labels, le: String(le) }), buckets[i] ?? 0),
      );
      add(seriesKey(`${family.name}_bucket`, { ...labels, le: "+Inf" }), count);
      add(seriesKey(`${family.name}_sum`, labels), sum);
      add(seriesKey(`${family.name}_count`, labels), count);
    }
    histograms.clear();
    return [...counters.take()].map(([key, cell]): [string, number] => [key, cell.amount]);
  },
  putBack(delta) {
    for (const [key, value] of delta) add(key, value);
  },
  clear() {
    counters.clear();
    histograms.clear();
  },
};

// A failed send puts its delta back; the next request schedules another try.
const buffer = createIsolateBuffer<[string, number][], Env>({
  store,
  delayMs: FLUSH_DELAY_MS,
  onFailure: "put-back",
  send: async (delta, env) => {
    const shard = Math.floor(Math.random() * METRIC_SHARDS);
    await metricsShard(env, shard).add(delta);
  },
});

/** Flushes what this isolate holds now (a delayed flush already sending its own delta is not awaited). */
export async function flushNow(env: Env): Promise<void> {
  await buffer.flushNow(env);
}

/** Arranges one delayed flush per isolate; requests arriving meanwhile ride along with it. */
export function scheduleFlush(env: Env, waitUntil: (p: Promise<unknown>) => void): void {
  buffer.schedule(env, waitUntil);
}

/**
 * A Durable Object's share of the metrics: what it counted in this isolate goes out on each of its ticks
 * (an object has no request to ride along with). Declared as one of the object's timed works.
 */
export function metricsFlushWork(env: Env): TimedWork<void> {
  return { nextDueAt: () => null, run: () => flushNow(env) };
}
