/**
 * EdgeHub's telemetry, in its SQLite: a bounded history of the device's readings de-duplicated by reading id
 * (a reading buffered offline and re-sent after a reconnect is stored once), the latest reading by `at` (a late
 * reading joins the history in `at` order but never replaces a newer one), and the over-temperature alert
 * state with its hysteresis: raised once at or above the alert threshold, cleared once below the clear one.
 * Synchronous, so the hub records a reading, its alert and the event announcing it in one transaction.
 */
import { z } from "zod";
import { telemetryDataSchema, type TelemetryData } from "./protocol";

/** A day of one-a-minute readings; older ones are dropped first. */
export const TELEMETRY_HISTORY = 1440;

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS telemetry (
    id TEXT PRIMARY KEY, at INTEGER NOT NULL, received_at INTEGER NOT NULL, data TEXT NOT NULL) WITHOUT ROWID`,
  "CREATE INDEX IF NOT EXISTS telemetry_by_at ON telemetry (at, id)",
  `CREATE TABLE IF NOT EXISTS telemetry_state (
    id INTEGER PRIMARY KEY CHECK (id = 1), latest_id TEXT, latest_at INTEGER,
    over_temperature INTEGER NOT NULL DEFAULT 0, alert_changed_at INTEGER)`,
];

/** The telemetry frame's reading (protocol.ts), `at` as epoch milliseconds. */
export const telemetryReadingSchema = z.object({
  id: z.string().min(1).max(128),
  at: z.iso.datetime().transform((t) => Date.parse(t)),
  data: telemetryDataSchema,
});

export interface TelemetryReading {
  id: string;
  at: number;
  received_at: number;
  data: TelemetryData;
}

export interface Thresholds {
  alertC: number;
  clearC: number;
}

export interface Recorded {
  /** False for a reading already stored (a re-send): nothing else happened. */
  stored: boolean;
  /** The reading is now the latest (its `at` is newer than any before it). */
  latest: boolean;
  /** The alert state this reading changed, if it did. */
  alert: "raised" | "cleared" | null;
}

export interface HistoryQuery {
  limit: number;
  /** Only readings taken at or after this (epoch ms). */
  since?: number | undefined;
  /** Keyset: only readings before this one in newest-first order. */
  before?: { at: number; id: string } | undefined;
}

export class TelemetryStore {
  constructor(private readonly sql: SqlStorage) {
    for (const statement of SCHEMA) sql.exec(statement);
    sql.exec("INSERT INTO telemetry_state (id) VALUES (1) ON CONFLICT (id) DO NOTHING");
  }

  /** Stores a reading once and moves the alert state; throws on a reading that fails its schema. */
  record(input: unknown, now: number, thresholds: Thresholds): Recorded {
    const reading = telemetryReadingSchema.parse(input);
    const inserted = this.sql
      .exec(
        "INSERT INTO telemetry (id, at, received_at, data) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING 1",
        reading.id,
        reading.at,
        now,
        JSON.stringify(reading.data),
      )
      .toArray();
    if (inserted.length === 0) return { stored: false, latest: false, alert: null };
    this.sql.exec(
      "DELETE FROM telemetry WHERE id IN (SELECT id FROM telemetry ORDER BY at DESC, id DESC LIMIT -1 OFFSET ?)",
      TELEMETRY_HISTORY,
    );
    const state = this.state();
    if (state.latest_at !== null && reading.at <= state.latest_at) return { stored: true, latest: false, alert: null };
    const alert = nextAlert(state.over_temperature, reading.data.cpu_temp_c, thresholds);
    this.sql.exec(
      "UPDATE telemetry_state SET latest_id = ?, latest_at = ?, over_temperature = ?, alert_changed_at = CASE WHEN ? THEN ? ELSE alert_changed_at END WHERE id = 1",
      reading.id,
      reading.at,
      alert === null ? Number(state.over_temperature) : Number(alert === "raised"),
      Number(alert !== null),
      now,
    );
    return { stored: true, latest: true, alert };
  }

  latest(): TelemetryReading | null {
    return (
      this.sql
        .exec<Record<string, SqlStorageValue>>(
          "SELECT t.* FROM telemetry t JOIN telemetry_state s ON s.id = 1 AND t.id = s.latest_id",
        )
        .toArray()
        .map(toReading)[0] ?? null
    );
  }

  overTemperature(): boolean {
    return this.state().over_temperature;
  }

  /** Newest first. */
  history(query: HistoryQuery): TelemetryReading[] {
    const where: string[] = [];
    const params: SqlStorageValue[] = [];
    if (query.since !== undefined) {
      where.push("at >= ?");
      params.push(query.since);
    }
    if (query.before) {
      where.push("(at < ? OR (at = ? AND id < ?))");
      params.push(query.before.at, query.before.at, query.before.id);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
    return this.sql
      .exec<Record<string, SqlStorageValue>>(
        `SELECT * FROM telemetry ${clause} ORDER BY at DESC, id DESC LIMIT ?`,
        ...params,
        query.limit,
      )
      .toArray()
      .map(toReading);
  }

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM telemetry").one().n;
  }

  private state(): { latest_at: number | null; over_temperature: boolean } {
    const row = this.sql
      .exec<{ latest_at: number | null; over_temperature: number }>(
        "SELECT latest_at, over_temperature FROM telemetry_state WHERE id = 1",
      )
      .one();
    return { latest_at: row.latest_at, over_temperature: row.over_temperature === 1 };
  }
}

/** Hysteresis: between the two thresholds nothing changes, so a reading hovering at the edge cannot flap. */
function nextAlert(over: boolean, tempC: number | null, t: Thresholds): "raised" | "cleared" | null {
  if (tempC === null) return null;
  if (!over && tempC >= t.alertC) return "raised";
  if (over && tempC < t.clearC) return "cleared";
  return null;
}

function toReading(row: Record<string, SqlStorageValue>): TelemetryReading {
  return {
    id: String(row.id),
    at: Number(row.at),
    received_at: Number(row.received_at),
    // Checked against telemetryDataSchema when it was stored.
    data: JSON.parse(String(row.data)) as TelemetryData,
  };
}
