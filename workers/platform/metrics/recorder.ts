/**
 * The per-isolate metrics buffer. Requests only add to memory; a flush hands the accumulated deltas to a
 * MetricsShard Durable Object from `waitUntil`, at most a few times a second, so no storage write ever sits
 * on a request's critical path. A failed flush puts its deltas back.
 */
import type { Env } from "../env";
import type { MetricFamily } from "./catalog";
import { seriesKey, type Labels } from "./series";

export const METRIC_SHARDS = 4;
const FLUSH_DELAY_MS = 250;

const buffer = new Map<string, number>();
let scheduled = false;
let inflight: Promise<void> | null = null;

function add(key: string, by: number): void {
  buffer.set(key, (buffer.get(key) ?? 0) + by);
}

export function increment(family: MetricFamily, labels: Labels = {}, by = 1): void {
  add(seriesKey(family.name, labels), by);
}

/** Records one histogram observation as cumulative bucket, sum and count increments. */
export function observe(family: MetricFamily, labels: Labels, value: number): void {
  const bucket = `${family.name}_bucket`;
  for (const le of family.buckets ?? []) {
    if (value <= le) add(seriesKey(bucket, { ...labels, le: String(le) }), 1);
  }
  add(seriesKey(bucket, { ...labels, le: "+Inf" }), 1);
  add(seriesKey(`${family.name}_sum`, labels), value);
  add(seriesKey(`${family.name}_count`, labels), 1);
}

function takeDelta(): [string, number][] {
  const delta = [...buffer.entries()];
  buffer.clear();
  return delta;
}

function restore(delta: [string, number][]): void {
  for (const [key, value] of delta) buffer.set(key, (buffer.get(key) ?? 0) + value);
}

function shardFor(env: Env) {
  const shard = Math.floor(Math.random() * METRIC_SHARDS);
  return env.METRICS.getByName(`shard-${shard}`);
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

/** Flushes what this isolate holds now, after any flush already under way. */
export async function flushNow(env: Env): Promise<void> {
  if (inflight) await inflight.catch(() => undefined);
  await sendDelta(env);
}

/** Arranges one delayed flush per isolate; requests arriving meanwhile ride along with it. */
export function scheduleFlush(env: Env, waitUntil: (p: Promise<unknown>) => void): void {
  if (scheduled || buffer.size === 0) return;
  scheduled = true;
  const run = (async () => {
    await scheduler.wait(FLUSH_DELAY_MS);
    scheduled = false;
    await sendDelta(env);
  })();
  inflight = run.catch(() => undefined).finally(() => {
    inflight = null;
  });
  waitUntil(inflight);
}
