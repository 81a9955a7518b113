/**
 * ChainBot's lifecycle state (running | stopped), persisted as one D1 row (`chainbot_module_state`, id
 * `chainbot`). D1 rather than a Durable Object: stop and start are whole-value writes (last one wins, no
 * read-modify-write to serialize), the state is read by routes and the engine in any isolate, and one row
 * needs no new binding. Reads are never cached: a stop must refuse the very next execution. A module that
 * was never stopped is running; its first read records it as started then.
 */
import { and, eq, ne } from "drizzle-orm";
import { createDb } from "../../platform/db/client";
import { chainbotModuleState } from "../../platform/db/schema";
import type { Env } from "../../platform/env";

export const MODULE_ID = "chainbot";

export type ModuleStatus = "running" | "stopped";

export interface ModuleState {
  status: ModuleStatus;
  startedAt: number | null;
  stoppedAt: number | null;
  updatedAt: number;
  updatedBy: string;
}

function fromRow(row: typeof chainbotModuleState.$inferSelect): ModuleState {
  return {
    status: row.status === "stopped" ? "stopped" : "running",
    startedAt: row.startedAt,
    stoppedAt: row.stoppedAt,
    updatedAt: row.updatedAt,
    updatedBy: row.updatedBy,
  };
}

/**
 * The persisted state. Reads are plain selects; only the first read ever also writes, recording "running
 * since now" (a no-op if another isolate got there first). Throws when D1 cannot be read: callers decide
 * what an unknown state means (the routes show `error`).
 */
export async function readModuleState(env: Env): Promise<ModuleState> {
  const db = createDb(env.DB);
  const select = db.select().from(chainbotModuleState).where(eq(chainbotModuleState.id, MODULE_ID));
  const existing = (await select)[0];
  if (existing) return fromRow(existing);
  const now = Date.now();
  const [, rows] = await db.batch([
    db
      .insert(chainbotModuleState)
      .values({ id: MODULE_ID, status: "running", startedAt: now, updatedAt: now, updatedBy: "system" })
      .onConflictDoNothing(),
    select,
  ]);
  const row = rows[0];
  if (!row) throw new Error("chainbot_module_state has no row after insert");
  return fromRow(row);
}

/**
 * Sets the status; answers the state before and after. Starting a running module (or stopping a stopped
 * one) changes nothing, so `started_at` keeps meaning "running since".
 */
export async function setModuleStatus(
  env: Env,
  status: ModuleStatus,
  by: string,
): Promise<{ before: ModuleState; after: ModuleState }> {
  const before = await readModuleState(env);
  if (before.status === status) return { before, after: before };
  const now = Date.now();
  const set =
    status === "running"
      ? { status, startedAt: now, updatedAt: now, updatedBy: by }
      : { status, stoppedAt: now, updatedAt: now, updatedBy: by };
  const rows = await createDb(env.DB)
    .update(chainbotModuleState)
    .set(set)
    // Conditional, so two racing stops (or starts) leave the first one's timestamp in place.
    .where(and(eq(chainbotModuleState.id, MODULE_ID), ne(chainbotModuleState.status, status)))
    .returning();
  const row = rows[0];
  return { before, after: row ? fromRow(row) : await readModuleState(env) };
}

/**
 * For the engine, before it starts an execution: false while an admin has stopped ChainBot (new executions
 * are refused; running ones go on). Throws when D1 is unreachable, so an unknown state is not taken as "running".
 */
export async function chainbotRunning(env: Env): Promise<boolean> {
  return (await readModuleState(env)).status === "running";
}
