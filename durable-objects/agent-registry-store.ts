/**
 * The AgentRegistry's SQLite tables and row mapping: agents (with a running count of the tasks each is
 * busy with), the outcomes of their recent tasks (for health) and the directory of entanglements. No logic
 * beyond reading and writing rows.
 */
import type { Agent, AgentListInput, AgentStatus, AgentType, EntanglementEntry } from "./agent-registry-model";

export const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS agents (
    id TEXT PRIMARY KEY,
    agent_type TEXT NOT NULL,
    name TEXT NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL,
    busy INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    terminated_at INTEGER
  )`,
  "CREATE INDEX IF NOT EXISTS agents_type_status ON agents (agent_type, status)",
  "CREATE INDEX IF NOT EXISTS agents_created ON agents (created_at, id)",
  `CREATE TABLE IF NOT EXISTS entanglements (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
  )`,
  "CREATE INDEX IF NOT EXISTS entanglements_created ON entanglements (created_at, id)",
  "CREATE TABLE IF NOT EXISTS task_outcomes (at INTEGER NOT NULL, ok INTEGER NOT NULL)",
  "CREATE INDEX IF NOT EXISTS task_outcomes_at ON task_outcomes (at)",
];

interface AgentRow extends Record<string, SqlStorageValue> {
  id: string;
  agent_type: string;
  name: string;
  config: string;
  status: string;
  busy: number;
  created_by: string;
  created_at: number;
  updated_at: number;
  terminated_at: number | null;
}

export function toAgent(row: AgentRow): Agent {
  return {
    id: row.id,
    agent_type: row.agent_type as AgentType,
    name: row.name,
    config: JSON.parse(row.config) as Record<string, unknown>,
    status: row.status as AgentStatus,
    busy: row.busy,
    created_by: row.created_by,
    created_at: row.created_at,
    updated_at: row.updated_at,
    terminated_at: row.terminated_at,
  };
}

export function agentRow(sql: SqlStorage, id: string): Agent | null {
  const row = sql.exec<AgentRow>("SELECT * FROM agents WHERE id = ?", id).toArray()[0];
  return row ? toAgent(row) : null;
}

/** Live (not terminated) agents: of one type, and of all types. */
export function liveCounts(sql: SqlStorage, type: AgentType): { ofType: number; total: number } {
  const row = sql
    .exec<{ of_type: number; total: number }>(
      "SELECT COALESCE(SUM(agent_type = ?), 0) AS of_type, COUNT(*) AS total FROM agents WHERE status != 'terminated'",
      type,
    )
    .one();
  return { ofType: row.of_type, total: row.total };
}

export function listAgents(sql: SqlStorage, input: AgentListInput): Agent[] {
  const where: string[] = [];
  const args: SqlStorageValue[] = [];
  if (input.agent_type) {
    where.push("agent_type = ?");
    args.push(input.agent_type);
  }
  if (input.status) {
    where.push("status = ?");
    args.push(input.status);
  }
  if (input.after) {
    where.push("(created_at > ? OR (created_at = ? AND id > ?))");
    args.push(input.after.created_at, input.after.created_at, input.after.id);
  }
  const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
  return sql
    .exec<AgentRow>(`SELECT * FROM agents ${clause} ORDER BY created_at, id LIMIT ?`, ...args, input.limit)
    .toArray()
    .map(toAgent);
}

export function countByStatus(sql: SqlStorage): Record<AgentStatus, number> {
  const counts: Record<AgentStatus, number> = { idle: 0, working: 0, terminated: 0 };
  for (const row of sql.exec<{ status: string; n: number }>("SELECT status, COUNT(*) AS n FROM agents GROUP BY status"))
    if (row.status in counts) counts[row.status as AgentStatus] = row.n;
  return counts;
}

interface EntanglementRow extends Record<string, SqlStorageValue> {
  id: string;
  name: string;
  description: string | null;
  created_by: string;
  created_at: number;
}

export function listEntanglements(
  sql: SqlStorage,
  limit: number,
  after?: { created_at: number; id: string },
): EntanglementEntry[] {
  const rows = after
    ? sql.exec<EntanglementRow>(
        "SELECT * FROM entanglements WHERE created_at > ? OR (created_at = ? AND id > ?) ORDER BY created_at, id LIMIT ?",
        after.created_at,
        after.created_at,
        after.id,
        limit,
      )
    : sql.exec<EntanglementRow>("SELECT * FROM entanglements ORDER BY created_at, id LIMIT ?", limit);
  return rows.toArray().map((r) => ({ ...r }));
}
