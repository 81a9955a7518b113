/**
 * BotzRegistry's SQLite layer: the schema, and reads that turn rows into the domain model. Everything here
 * is synchronous, so callers compose it inside one transaction without an await in between.
 */
import type { Instance, Json, SkillLevel, WorkItem, WorkItemFilter } from "./botz-registry-model";
import { skillRank } from "./botz-registry-model";

export const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS instances (
    botz_id TEXT PRIMARY KEY, instance_id TEXT NOT NULL UNIQUE, botz_name TEXT NOT NULL,
    skill_level TEXT NOT NULL, skill_rank INTEGER NOT NULL, status TEXT NOT NULL,
    available_mcp_tools TEXT NOT NULL, runner_host TEXT, config_path TEXT, metadata TEXT NOT NULL,
    current_work_item_id TEXT, registered_at INTEGER NOT NULL, last_heartbeat_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL)`,
  "CREATE INDEX IF NOT EXISTS instances_liveness ON instances (status, last_heartbeat_at)",
  `CREATE TABLE IF NOT EXISTS work_items (
    work_item_id TEXT PRIMARY KEY, title TEXT NOT NULL, description TEXT, integration_name TEXT,
    required_skill_level TEXT NOT NULL, skill_rank INTEGER NOT NULL, priority INTEGER NOT NULL,
    payload TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, claimed_by TEXT,
    session_id TEXT, fencing_token INTEGER, lease_expires_at INTEGER, claimed_at INTEGER, completed_at INTEGER,
    result TEXT, error TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
  // Claim-next reads the head of one (status, rank) run per rank the claimer may take.
  "CREATE INDEX IF NOT EXISTS work_items_queue ON work_items (status, skill_rank, priority DESC, created_at)",
  "CREATE INDEX IF NOT EXISTS work_items_integration ON work_items (integration_name, status, skill_rank, priority DESC, created_at)",
  "CREATE INDEX IF NOT EXISTS work_items_leases ON work_items (status, lease_expires_at)",
  // AUTOINCREMENT never reuses a rowid, even after old claims are pruned: the claim's id is its fencing token.
  `CREATE TABLE IF NOT EXISTS claims (
    fencing_token INTEGER PRIMARY KEY AUTOINCREMENT, work_item_id TEXT NOT NULL, botz_id TEXT NOT NULL,
    claimed_at INTEGER NOT NULL, ended_at INTEGER, outcome TEXT)`,
  "CREATE INDEX IF NOT EXISTS claims_claimed_at ON claims (claimed_at)",
];

type Row = Record<string, SqlStorageValue>;

function iso(ms: SqlStorageValue | undefined): string {
  return new Date(Number(ms)).toISOString();
}

function isoOrNull(ms: SqlStorageValue | undefined): string | null {
  return ms === null || ms === undefined ? null : iso(ms);
}

function json<T extends Json | Record<string, Json> | string[]>(text: SqlStorageValue | undefined, fallback: T): T {
  return typeof text === "string" ? (JSON.parse(text) as T) : fallback;
}

function str(v: SqlStorageValue | undefined): string | null {
  return v === null || v === undefined ? null : String(v);
}

export function toInstance(r: Row): Instance {
  return {
    botz_id: String(r.botz_id),
    instance_id: String(r.instance_id),
    botz_name: String(r.botz_name),
    skill_level: r.skill_level as SkillLevel,
    status: r.status as Instance["status"],
    available_mcp_tools: json<string[]>(r.available_mcp_tools, []),
    runner_host: str(r.runner_host ?? null),
    config_path: str(r.config_path ?? null),
    metadata: json<Record<string, Json>>(r.metadata, {}),
    current_work_item_id: str(r.current_work_item_id ?? null),
    registered_at: iso(r.registered_at ?? 0),
    last_heartbeat_at: iso(r.last_heartbeat_at ?? 0),
    updated_at: iso(r.updated_at ?? 0),
  };
}

export function toWorkItem(r: Row): WorkItem {
  return {
    work_item_id: String(r.work_item_id),
    title: String(r.title),
    description: str(r.description ?? null),
    integration_name: str(r.integration_name ?? null),
    required_skill_level: r.required_skill_level as SkillLevel,
    priority: Number(r.priority),
    payload: json<Json>(r.payload, null),
    status: r.status as WorkItem["status"],
    attempts: Number(r.attempts),
    claimed_by: str(r.claimed_by ?? null),
    session_id: str(r.session_id ?? null),
    fencing_token: r.fencing_token === null || r.fencing_token === undefined ? null : Number(r.fencing_token),
    lease_expires_at: isoOrNull(r.lease_expires_at ?? null),
    claimed_at: isoOrNull(r.claimed_at ?? null),
    completed_at: isoOrNull(r.completed_at ?? null),
    result: json<Json>(r.result, null),
    error: str(r.error ?? null),
    created_at: iso(r.created_at ?? 0),
    updated_at: iso(r.updated_at ?? 0),
  };
}

export function instanceRow(sql: SqlStorage, botzId: string): Row | undefined {
  return sql.exec("SELECT * FROM instances WHERE botz_id = ?", botzId).toArray()[0];
}

export function workItemRow(sql: SqlStorage, id: string): Row | undefined {
  return sql.exec("SELECT * FROM work_items WHERE work_item_id = ?", id).toArray()[0];
}

/**
 * The best pending item a claimer of `rank` may take: the head of each rank's run (one index seek each, in
 * one statement), then the highest priority, oldest first.
 */
export function nextClaimable(sql: SqlStorage, rank: number, integration?: string): Row | undefined {
  const filter = integration ? "integration_name = ? AND " : "";
  const heads: string[] = [];
  const args: SqlStorageValue[] = [];
  for (let r = 0; r <= rank; r++) {
    heads.push(
      `SELECT * FROM (SELECT * FROM work_items WHERE ${filter}status = 'pending' AND skill_rank = ? ORDER BY priority DESC, created_at LIMIT 1)`,
    );
    if (integration) args.push(integration);
    args.push(r);
  }
  return sql.exec(`${heads.join(" UNION ALL ")} ORDER BY priority DESC, created_at LIMIT 1`, ...args).toArray()[0];
}

export function listWorkItems(sql: SqlStorage, f: WorkItemFilter): WorkItem[] {
  const where: string[] = [];
  const args: SqlStorageValue[] = [];
  if (f.status) {
    where.push("status = ?");
    args.push(f.status);
  }
  if (f.integration_name) {
    where.push("integration_name = ?");
    args.push(f.integration_name);
  }
  if (f.skill_level) {
    where.push("skill_rank <= ?");
    args.push(skillRank(f.skill_level));
  }
  const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
  return sql
    .exec(`SELECT * FROM work_items ${clause} ORDER BY priority DESC, created_at, rowid LIMIT ?`, ...args, f.limit)
    .toArray()
    .map(toWorkItem);
}

/** Records a claim; its id, strictly increasing for the registry's whole life, is the fencing token. */
export function recordClaim(sql: SqlStorage, workItemId: string, botzId: string, now: number): number {
  return sql
    .exec<{ fencing_token: number }>(
      "INSERT INTO claims (work_item_id, botz_id, claimed_at) VALUES (?, ?, ?) RETURNING fencing_token",
      workItemId,
      botzId,
      now,
    )
    .one().fencing_token;
}

export function countBy(sql: SqlStorage, query: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of sql.exec<{ k: string; n: number }>(query).toArray()) out[r.k] = r.n;
  return out;
}
