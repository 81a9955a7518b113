/**
 * EdgeHub's command table (beside the job queue in edge-hub-store.ts): each operator command with its id,
 * sequence number, delivery count, expiry and outcome, plus when the device last polled. A command stays
 * open (`pending`, then `delivered`) until its result arrives or it expires; open commands are what a
 * reconnecting or polling device is sent. Synchronous, like the job store.
 */
import type { CommandMessage, HubCommandName } from "./protocol";

const SCHEMA = [
  // AUTOINCREMENT: a seq is never reused after old commands are purged.
  `CREATE TABLE IF NOT EXISTS commands (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, args TEXT NOT NULL,
    status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, result TEXT, error TEXT,
    created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, delivered_at INTEGER, finished_at INTEGER)`,
  "CREATE INDEX IF NOT EXISTS commands_by_status ON commands (status, expires_at)",
  "CREATE TABLE IF NOT EXISTS poll_seen (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL)",
];

export type CommandStatus = "pending" | "delivered" | "succeeded" | "failed" | "rejected" | "expired";
export type CommandOutcome = "succeeded" | "failed" | "rejected";

export interface CommandRow {
  seq: number;
  id: string;
  name: HubCommandName;
  args: Record<string, unknown>;
  status: CommandStatus;
  attempts: number;
  result: unknown;
  error: string | null;
  created_at: number;
  expires_at: number;
  delivered_at: number | null;
  finished_at: number | null;
}

const OPEN = "status IN ('pending', 'delivered')";
/** Finished commands kept per device for the list route; older ones are purged. */
const KEEP = 500;

export function commandIsOpen(command: CommandRow): boolean {
  return command.status === "pending" || command.status === "delivered";
}

export function commandFrame(command: CommandRow): string {
  const frame: CommandMessage = {
    type: "command",
    id: command.id,
    seq: command.seq,
    name: command.name,
    args: command.args,
    expires_at: new Date(command.expires_at).toISOString(),
  };
  return JSON.stringify(frame);
}

export class CommandStore {
  constructor(private readonly sql: SqlStorage) {
    for (const statement of SCHEMA) sql.exec(statement);
  }

  insert(id: string, name: HubCommandName, args: Record<string, unknown>, now: number, expiresAt: number): CommandRow {
    const row = this.sql
      .exec<Record<string, SqlStorageValue>>(
        "INSERT INTO commands (id, name, args, status, created_at, expires_at) VALUES (?, ?, ?, 'pending', ?, ?) RETURNING *",
        id,
        name,
        JSON.stringify(args),
        now,
        expiresAt,
      )
      .one();
    return toCommand(row);
  }

  get(id: string): CommandRow | null {
    return (
      this.sql
        .exec<Record<string, SqlStorageValue>>("SELECT * FROM commands WHERE id = ?", id)
        .toArray()
        .map(toCommand)[0] ?? null
    );
  }

  /** Recent first. */
  list(limit: number): CommandRow[] {
    return this.sql
      .exec<Record<string, SqlStorageValue>>("SELECT * FROM commands ORDER BY seq DESC LIMIT ?", limit)
      .toArray()
      .map(toCommand);
  }

  /** Open commands not yet past their expiry, oldest first: what the device is (re)sent. */
  open(now: number): CommandRow[] {
    return this.sql
      .exec<Record<string, SqlStorageValue>>(
        `SELECT * FROM commands WHERE ${OPEN} AND expires_at > ? ORDER BY seq`,
        now,
      )
      .toArray()
      .map(toCommand);
  }

  delivered(id: string, now: number): void {
    this.sql.exec(
      `UPDATE commands SET status = 'delivered', attempts = attempts + 1, delivered_at = ? WHERE id = ? AND ${OPEN}`,
      now,
      id,
    );
  }

  /** Records the outcome once; false for an unknown or already finished command (a duplicate or late result). */
  finish(id: string, status: CommandOutcome, result: unknown, error: string | null, now: number): boolean {
    return (
      this.sql
        .exec(
          `UPDATE commands SET status = ?, result = ?, error = ?, finished_at = ? WHERE id = ? AND ${OPEN} RETURNING 1`,
          status,
          result === undefined ? null : JSON.stringify(result),
          error,
          now,
          id,
        )
        .toArray().length > 0
    );
  }

  /** Marks open commands past their expiry `expired`; returns how many. */
  expire(now: number): number {
    const rows = this.sql
      .exec(
        `UPDATE commands SET status = 'expired', finished_at = ? WHERE ${OPEN} AND expires_at <= ? RETURNING 1`,
        now,
        now,
      )
      .toArray();
    this.sql.exec(
      `DELETE FROM commands WHERE NOT (${OPEN}) AND seq <= (SELECT seq FROM commands ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
      KEEP,
    );
    return rows.length;
  }

  openCount(): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM commands WHERE ${OPEN}`).one().n;
  }

  nextExpiry(): number | null {
    return this.sql.exec<{ at: number | null }>(`SELECT MIN(expires_at) AS at FROM commands WHERE ${OPEN}`).one().at;
  }

  polled(now: number): void {
    this.sql.exec("INSERT INTO poll_seen (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at", now);
  }

  lastPolled(): number | null {
    return this.sql.exec<{ at: number }>("SELECT at FROM poll_seen WHERE id = 1").toArray()[0]?.at ?? null;
  }
}

function toCommand(row: Record<string, SqlStorageValue>): CommandRow {
  const num = (v: SqlStorageValue | undefined) => (v === null || v === undefined ? null : Number(v));
  return {
    seq: Number(row.seq),
    id: String(row.id),
    name: String(row.name) as HubCommandName,
    args: JSON.parse(String(row.args)) as Record<string, unknown>,
    status: String(row.status) as CommandStatus,
    attempts: Number(row.attempts),
    result: row.result === null || row.result === undefined ? null : (JSON.parse(String(row.result)) as unknown),
    error: row.error === null || row.error === undefined ? null : String(row.error),
    created_at: Number(row.created_at),
    expires_at: Number(row.expires_at),
    delivered_at: num(row.delivered_at),
    finished_at: num(row.finished_at),
  };
}
