/**
 * The D1 schema, all of it, in one place. `npm run db:generate` turns changes here into flat SQL
 * migrations in d1-migrations/.
 */
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    /** SHA-256 of the whole key, hex; the key itself is shown once and never stored. */
    keyHash: text("key_hash").notNull().unique(),
    /** The first characters of the key, so people can tell their keys apart. */
    prefix: text("prefix").notNull(),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at"),
    revokedAt: integer("revoked_at"),
    lastUsedAt: integer("last_used_at"),
  },
  (t) => [index("api_keys_created_at").on(t.createdAt)],
);

export const deadLetters = sqliteTable(
  "dead_letters",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id"),
    subject: text("subject"),
    queue: text("queue").notNull(),
    body: text("body").notNull(),
    error: text("error"),
    attempts: integer("attempts").notNull(),
    createdAt: integer("created_at").notNull().default(sql`(unixepoch() * 1000)`),
  },
  (t) => [index("dead_letters_created_at").on(t.createdAt), index("dead_letters_subject").on(t.subject)],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
