/**
 * The analytics stores' upkeep on the cron tick: roll ingested events up into hourly snapshots (the last
 * two hours recomputed from the rows each time, so a late event still lands in its hour and a repeated tick
 * changes nothing), then drop event days older than ANALYTICS_RETENTION_DAYS (30) and snapshots older than
 * ANALYTICS_SNAPSHOT_RETENTION_DAYS (90).
 */
import type { Env } from "../../platform/env";
import { parsePositiveInt } from "../../platform/var-parsers";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

function days(raw: string | undefined, fallback: number): number {
  const parsed = parsePositiveInt(raw ?? "", 3650);
  return parsed.ok ? parsed.value : fallback;
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Recomputes the snapshots of every hour from `fromHour` on. */
export async function takeSnapshots(env: Pick<Env, "ANALYTICS_DB">, fromHour: number, now: number): Promise<number> {
  const result = await env.ANALYTICS_DB.prepare(
    "INSERT INTO analytics_snapshots (hour, day, subject, name, events, value_sum, value_min, value_max, taken_at) " +
      "SELECT hour, min(day), subject, name, count(*), sum(value), min(value), max(value), ? FROM analytics_events " +
      "WHERE hour >= ? GROUP BY hour, subject, name ON CONFLICT (hour, subject, name) DO UPDATE SET " +
      "events = excluded.events, value_sum = excluded.value_sum, value_min = excluded.value_min, " +
      "value_max = excluded.value_max, taken_at = excluded.taken_at",
  )
    .bind(now, fromHour)
    .run();
  return result.meta.changes;
}

export interface AnalyticsSweep {
  snapshots: number;
  eventsDeleted: number;
  snapshotsDeleted: number;
}

export async function sweepAnalytics(
  env: Pick<Env, "ANALYTICS_DB" | "ANALYTICS_RETENTION_DAYS" | "ANALYTICS_SNAPSHOT_RETENTION_DAYS">,
  now = Date.now(),
): Promise<AnalyticsSweep> {
  const currentHour = now - (now % HOUR_MS);
  const snapshots = await takeSnapshots(env, currentHour - HOUR_MS, now);
  // Whole days go: the oldest kept day is the one `retention` days before today.
  const eventCutoff = dayOf(now - days(env.ANALYTICS_RETENTION_DAYS, 30) * DAY_MS);
  const snapshotCutoff = dayOf(now - days(env.ANALYTICS_SNAPSHOT_RETENTION_DAYS, 90) * DAY_MS);
  const [events, snaps] = await env.ANALYTICS_DB.batch([
    env.ANALYTICS_DB.prepare("DELETE FROM analytics_events WHERE day < ?").bind(eventCutoff),
    env.ANALYTICS_DB.prepare("DELETE FROM analytics_snapshots WHERE day < ?").bind(snapshotCutoff),
  ]);
  return { snapshots, eventsDeleted: events?.meta.changes ?? 0, snapshotsDeleted: snaps?.meta.changes ?? 0 };
}
