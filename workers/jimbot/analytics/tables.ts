/**
 * The analytics database (binding ANALYTICS_DB, its own D1 database and migrations in
 * analytics-migrations/): ingested events partitioned by day and kept 30 days (seed: QuestDB, 30 d,
 * partition by day), and hourly snapshots kept 90 days (seed: EventStore, 90 d, hourly snapshots). Only
 * these tables exist there, so an analytics query cannot reach an operational table even in principle.
 * `npx drizzle-kit generate --config drizzle.analytics.config.ts` turns changes here into migrations.
 */
import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const analyticsEvents = sqliteTable(
  "analytics_events",
  {
    /** The bus event_id: a redelivered event is the same row, so ingestion applies once. */
    eventId: text("event_id").primaryKey(),
    /** Partition key (UTC `YYYY-MM-DD`): retention drops whole days. */
    day: text("day").notNull(),
    /** Start of the UTC hour, ms: what the hourly snapshot groups by. */
    hour: integer("hour").notNull(),
    ts: integer("ts").notNull(),
    subject: text("subject").notNull(),
    source: text("source").notNull(),
    /** Metric name (payload `name`/`metric`), else the subject. */
    name: text("name").notNull(),
    /** Metric value (payload `value`), a decision's confidence, a game state's chips; null when none. */
    value: real("value"),
    gameId: text("game_id"),
    correlationId: text("correlation_id").notNull(),
    payload: text("payload").notNull(),
  },
  (t) => [index("analytics_events_day").on(t.day), index("analytics_events_subject_ts").on(t.subject, t.ts)],
);

export const analyticsSnapshots = sqliteTable(
  "analytics_snapshots",
  {
    hour: integer("hour").notNull(),
    day: text("day").notNull(),
    subject: text("subject").notNull(),
    name: text("name").notNull(),
    events: integer("events").notNull(),
    valueSum: real("value_sum"),
    valueMin: real("value_min"),
    valueMax: real("value_max"),
    takenAt: integer("taken_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.hour, t.subject, t.name] }), index("analytics_snapshots_day").on(t.day)],
);

/** What `POST /api/v1/query` may read. */
export const QUERYABLE_TABLES = ["analytics_events", "analytics_snapshots"] as const;
