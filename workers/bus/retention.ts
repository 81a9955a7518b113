/**
 * Retention: the cron tick deletes history, claim-checked payloads, handler-ledger rows and the live log
 * past EVENT_RETENTION_DAYS (seed 002: 7 days), a bounded number of rows per tick so one tick never runs
 * long; a backlog drains over the following minutes.
 */
import { readConfig } from "../platform/config";
import type { Env } from "../platform/env";
import { unwrap } from "../platform/errors";
import { deleteBlobs } from "../platform/bus/claim-check";
import { busPartition, partitionCount } from "../platform/bus/partition-client";
import { pruneHistory } from "./history-store";

const CHUNK = 500;
const CHUNKS_PER_TICK = 10;

/** EVENT_RETENTION_DAYS in ms; a bad value takes the default of 7 and shows on /health (platform/config.ts). */
export function retentionMs(env: Pick<Env, "EVENT_RETENTION_DAYS">): number {
  return readConfig(env).retentionMs;
}

async function pruneTable(
  env: Env,
  table: "handler_ledger" | "delivery_failures",
  column: string,
  cutoff: number,
): Promise<number> {
  const result = await env.DB.prepare(
    `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${column} < ? LIMIT ?)`,
  )
    .bind(cutoff, CHUNK)
    .run();
  return result.meta.changes;
}

export async function sweepRetention(
  env: Env,
  now = Date.now(),
): Promise<{ events: number; blobs: number; ledger: number; stream: number }> {
  const cutoff = now - retentionMs(env);
  let events = 0;
  let blobs = 0;
  for (let i = 0; i < CHUNKS_PER_TICK; i++) {
    const pruned = await pruneHistory(env, cutoff, CHUNK);
    await deleteBlobs(env, pruned.blobs);
    events += pruned.deleted;
    blobs += pruned.blobs.length;
    if (pruned.deleted < CHUNK) break;
  }
  const ledger =
    (await pruneTable(env, "handler_ledger", "applied_at", cutoff)) +
    (await pruneTable(env, "delivery_failures", "updated_at", cutoff));
  const stream = await pruneStream(env, cutoff);
  return { events, blobs, ledger, stream };
}

/** Each partition's log past retention (events the consumer never confirmed are kept and re-sent). */
async function pruneStream(env: Env, cutoff: number): Promise<number> {
  const partitions = Array.from({ length: partitionCount(env) }, (_, i) => i);
  const pruned = await Promise.all(
    partitions.map(async (p) => unwrap(await busPartition(env, p).prune(cutoff, CHUNK * CHUNKS_PER_TICK)).deleted),
  );
  return pruned.reduce((a, b) => a + b, 0);
}
