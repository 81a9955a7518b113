/**
 * The `gateway_configs` table: every config the admin route accepted, newest in force. Rows are kept as a
 * history (who changed the routing, when); only the newest is read.
 */
import { desc } from "drizzle-orm";
import { createDb } from "../../platform/db/client";
import { gatewayConfigs } from "../../platform/db/schema";

export interface StoredConfig {
  id: number;
  toml: string;
  createdAt: number;
  createdBy: string;
}

export async function readNewestConfig(d1: D1Database): Promise<StoredConfig | null> {
  const rows = await createDb(d1).select().from(gatewayConfigs).orderBy(desc(gatewayConfigs.id)).limit(1);
  return rows[0] ?? null;
}

export async function storeConfig(d1: D1Database, toml: string, createdBy: string): Promise<StoredConfig> {
  const rows = await createDb(d1).insert(gatewayConfigs).values({ toml, createdAt: Date.now(), createdBy }).returning();
  const row = rows[0];
  if (!row) throw new Error("gateway_configs insert returned no row");
  return row;
}
