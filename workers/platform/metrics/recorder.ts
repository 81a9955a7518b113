/**
 * The per-isolate metrics buffer. Requests only add to memory; a flush hands the accumulated deltas to a
 * MetricsShard Durable Object from `waitUntil`, at most a few times a second, so no storage write ever sits
 * on a request's critical path. A failed flush puts its deltas back.
 */
import type { Env } from "../env";
import type { MetricFamily } from "./catalog";
import { seriesKey, type Labels } from "./series";
import { metricsShard } from "./shard";

export const METRIC_SHARDS = 4;
const FLUSH_DELAY_MS = 250;

const buffer = new Map<string, number>();
/** Histogram observations per series, kept as arrays so a request costs one map lookup, not fourteen. */
const histograms = new Map<
  string,
  { family: MetricFamily; labels: Labels; buckets: number[]; sum: number; count: number }
>();
let scheduled = false;

function add(key: string, by: number): void {
  buffer.set(key, (buffer.get(key) ?? 0) + by);
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

function takeDelta(): [string, number][] {
  for (const { family, labels, buckets, sum, count } of histograms.values()) {
    const bounds = family.buckets ?? [];
    bounds.forEach((le, i) => add(seriesKey(`${family.name}_bucket`, { ...labels, le: String(le) }), buckets[i] ?? 0));
    add(seriesKey(`${family.name}_bucket`, { ...labels, le: "+Inf" }), count);
    add(seriesKey(`${family.name}_sum`, labels), sum);
    add(seriesKey(`${family.name}_count`, labels), count);
  }
  histograms.clear();
  const delta = [...buffer.entries()];
  buffer.clear();
  return delta;
}

function restore(delta: [string, number][]): void {
  for (const [key, value] of delta) buffer.set(key, (buffer.get(key) ?? 0) + value);
}

function shardFor(env: Env) {
  const shard = Math.floor(Math.random() * METRIC_SHARDS);
  return metricsShard(env, shard);
}

async function sendDelta(env: Env): Promise<void> {
  const delta = takeDelta();
  if (delta.length === 0) return;
  try {
    await shardFor(env).add(delta);
  } catch (err) {
    restore(delta);
    throw err;
  }
}

/**
 * Flushes what this isolate holds now. A delayed flush already sending its own delta is not awaited: a
 * promise from another request's context must not be awaited in workerd, and that delta lands in
 * milliseconds anyway.
 */
export async function flushNow(env: Env): Promise<void> {
  await sendDelta(env);
}

/** Arranges one delayed flush per isolate; requests arriving meanwhile ride along with it. */
export function scheduleFlush(env: Env, waitUntil: (p: Promise<unknown>) => void): void {
  if (scheduled || (buffer.size === 0 && histograms.size === 0)) return;
  scheduled = true;
  const run = async () => {
    await scheduler.wait(FLUSH_DELAY_MS);
    scheduled = false;
    // A failed send has put its delta back; the next request schedules another try.
    await sendDelta(env).catch(() => undefined);
  };
  waitUntil(run());
}
