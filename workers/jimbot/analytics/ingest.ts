/**
 * Analytics ingestion (seed 002 "Analytics Interface", IngestEvents): `metrics.*`, `game.state` and
 * `learning.decision` from the bus become rows of `analytics_events` in ANALYTICS_DB. The row's key is the
 * event_id, so a redelivered event — in the same batch or a later one, even after a crash between the
 * insert and the ledger mark — is the same row: ingested exactly once.
 */
import type { BusEvent } from "../../platform/bus/envelope";
import type { BusHandler } from "../../platform/bus/handlers";
import type { Env } from "../../platform/env";

export const ANALYTICS_INGEST = "analytics.ingest";
/** The seed's topics; `metrics.>` also takes metrics subjects of more than one token. */
export const INGESTED_SUBJECTS = ["metrics.>", "game.state", "learning.decision"] as const;

const HOUR_MS = 3_600_000;

function record(payload: unknown): Record<string, unknown> {
  return typeof payload === "object" && payload !== null && !Array.isArray(payload)
    ? (payload as Record<string, unknown>)
    : {};
}

function numberOf(...values: unknown[]): number | null {
  for (const v of values) if (typeof v === "number" && Number.isFinite(v)) return v;
  return null;
}

function stringOf(...values: unknown[]): string | null {
  for (const v of values) if (typeof v === "string" && v.length > 0) return v.slice(0, 200);
  return null;
}

/** The columns an event fills: what a query most often groups or sums by, beside the whole payload. */
export function rowOf(event: BusEvent) {
  const p = record(event.payload);
  const ts = Date.parse(event.timestamp);
  const gameState = record(p.game_state);
  return {
    eventId: event.event_id,
    day: new Date(ts).toISOString().slice(0, 10),
    hour: ts - (ts % HOUR_MS),
    ts,
    subject: event.type,
    source: event.source,
    name: stringOf(p.name, p.metric, p.selected_action) ?? event.type,
    value: numberOf(p.value, p.confidence, p.chips, gameState.chips),
    gameId: stringOf(p.game_id, gameState.game_id),
    correlationId: event.correlation_id,
    payload: JSON.stringify(event.payload ?? null),
  };
}

async function ingest(event: BusEvent, env: Env): Promise<void> {
  const r = rowOf(event);
  await env.ANALYTICS_DB.prepare(
    "INSERT INTO analytics_events (event_id, day, hour, ts, subject, source, name, value, game_id, correlation_id, payload) " +
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
  )
    .bind(r.eventId, r.day, r.hour, r.ts, r.subject, r.source, r.name, r.value, r.gameId, r.correlationId, r.payload)
    .run();
}

const handler: BusHandler = { name: ANALYTICS_INGEST, run: ingest };

export const analyticsBusHandlers: Record<string, BusHandler[]> = Object.fromEntries(
  INGESTED_SUBJECTS.map((s) => [s, [handler]]),
);
