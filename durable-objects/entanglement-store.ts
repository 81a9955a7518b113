/**
 * The Entanglement object's SQLite tables: its own description, members, the message log (one row per
 * message; a broadcast has no receiver) and the tasks waiting for an assistant's answer. What a member may
 * see is decided here, once, for history and live delivery alike.
 */
import type { EntanglementInfo, Member, Message, MessageType } from "./entanglement-contract";

export const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT, created_by TEXT NOT NULL, created_at INTEGER NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS members (
    agent_id TEXT PRIMARY KEY, agent_type TEXT NOT NULL, name TEXT NOT NULL, joined_at INTEGER NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    sender_id TEXT NOT NULL,
    receiver_id TEXT,
    message_type TEXT NOT NULL,
    content TEXT NOT NULL,
    in_reply_to TEXT,
    created_at INTEGER NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS pending_tasks (
    message_id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    sender_id TEXT NOT NULL,
    content TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at INTEGER NOT NULL
  )`,
];

export function readInfo(sql: SqlStorage): EntanglementInfo | null {
  const row = sql
    .exec<{ id: string; name: string; description: string | null; created_by: string; created_at: number }>(
      "SELECT * FROM meta LIMIT 1",
    )
    .toArray()[0];
  return row ? { ...row } : null;
}

export function readMembers(sql: SqlStorage): Member[] {
  return sql
    .exec<{ agent_id: string; agent_type: string; name: string; joined_at: number }>(
      "SELECT * FROM members ORDER BY joined_at, agent_id",
    )
    .toArray()
    .map((r) => ({ ...r, agent_type: r.agent_type as Member["agent_type"] }));
}

export function readMember(sql: SqlStorage, agentId: string): Member | null {
  return readMembers(sql).find((m) => m.agent_id === agentId) ?? null;
}

interface MessageRow extends Record<string, SqlStorageValue> {
  seq: number;
  id: string;
  sender_id: string;
  receiver_id: string | null;
  message_type: string;
  content: string;
  in_reply_to: string | null;
  created_at: number;
}

function toMessage(row: MessageRow): Message {
  return { ...row, message_type: row.message_type as MessageType };
}

export function appendMessage(sql: SqlStorage, message: Omit<Message, "seq">): Message {
  const row = sql
    .exec<MessageRow>(
      "INSERT INTO messages (id, sender_id, receiver_id, message_type, content, in_reply_to, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
      message.id,
      message.sender_id,
      message.receiver_id,
      message.message_type,
      message.content,
      message.in_reply_to,
      message.created_at,
    )
    .one();
  return toMessage(row);
}

/** A member sees broadcasts and the private messages it sent or received; null sees everything. */
export function visibleTo(member: string | null, message: Message): boolean {
  return (
    member === null || message.receiver_id === null || message.receiver_id === member || message.sender_id === member
  );
}

export function readHistory(sql: SqlStorage, member: string | null, after: number, limit: number): Message[] {
  const rows =
    member === null
      ? sql.exec<MessageRow>("SELECT * FROM messages WHERE seq > ? ORDER BY seq LIMIT ?", after, limit)
      : sql.exec<MessageRow>(
          "SELECT * FROM messages WHERE seq > ? AND (receiver_id IS NULL OR receiver_id = ? OR sender_id = ?) ORDER BY seq LIMIT ?",
          after,
          member,
          member,
          limit,
        );
  return rows.toArray().map(toMessage);
}

export interface PendingTask {
  message_id: string;
  agent_id: string;
  sender_id: string;
  content: string;
  attempts: number;
}

export function duePendingTasks(sql: SqlStorage, now: number, limit: number): PendingTask[] {
  return sql
    .exec<PendingTask & Record<string, SqlStorageValue>>(
      "SELECT message_id, agent_id, sender_id, content, attempts FROM pending_tasks WHERE due_at <= ? ORDER BY due_at LIMIT ?",
      now,
      limit,
    )
    .toArray()
    .map((r) => ({ ...r }));
}

export function nextPendingAt(sql: SqlStorage): number | null {
  return sql.exec<{ due: number | null }>("SELECT MIN(due_at) AS due FROM pending_tasks").one().due;
}
