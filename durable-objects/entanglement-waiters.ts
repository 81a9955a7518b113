/**
 * Workflow executions waiting on an entanglement message (a `wait` step with until `entanglement_message`):
 * one waiter row per waiting step, filtered by sender and message type. A posted message that matches takes
 * the waiter and leaves a notification row in the same transaction; the object then hands each notification
 * to the execution's event-delivery RPC (`signal`) until it lands, retrying from its alarm.
 */
import { z } from "zod";
import { MESSAGE_TYPES, type Message } from "./entanglement-contract";

export const WAITER_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS waiters (
    execution_id TEXT NOT NULL, signal TEXT NOT NULL, member TEXT, message_type TEXT, deadline INTEGER,
    created_at INTEGER NOT NULL, PRIMARY KEY (execution_id, signal)
  )`,
  `CREATE TABLE IF NOT EXISTS waiter_notices (
    execution_id TEXT NOT NULL, signal TEXT NOT NULL, message TEXT NOT NULL, PRIMARY KEY (execution_id, signal)
  )`,
];

export const SubscribeSchema = z.object({
  execution_id: z.string().min(1).max(64),
  /** The event name the waiting step takes; one per step. */
  signal: z.string().min(1).max(200),
  member: z.string().min(1).max(128).nullable(),
  message_type: z.enum(MESSAGE_TYPES).nullable(),
  /** The step gives up at this time: a later message is not its business. */
  deadline: z.number().int().nullable(),
});
export type Subscription = z.infer<typeof SubscribeSchema>;

export interface Notice {
  execution_id: string;
  signal: string;
  message: Message;
}

/** Records a waiter; the same step subscribing again (a replay) changes nothing. */
export function addWaiter(sql: SqlStorage, s: Subscription, now: number): void {
  sql.exec(
    `INSERT INTO waiters (execution_id, signal, member, message_type, deadline, created_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (execution_id, signal) DO NOTHING`,
    s.execution_id,
    s.signal,
    s.member,
    s.message_type,
    s.deadline,
    now,
  );
}

/** Takes every live waiter the message matches and queues its notice; drops waiters past their deadline. */
export function matchWaiters(sql: SqlStorage, message: Message, now: number): number {
  sql.exec("DELETE FROM waiters WHERE deadline IS NOT NULL AND deadline <= ?", now);
  const taken = sql
    .exec<{ execution_id: string; signal: string }>(
      `DELETE FROM waiters WHERE (member IS NULL OR member = ?) AND (message_type IS NULL OR message_type = ?)
       RETURNING execution_id, signal`,
      message.sender_id,
      message.message_type,
    )
    .toArray();
  for (const t of taken)
    sql.exec(
      "INSERT OR IGNORE INTO waiter_notices (execution_id, signal, message) VALUES (?, ?, ?)",
      t.execution_id,
      t.signal,
      JSON.stringify(message),
    );
  return taken.length;
}

export function pendingNotices(sql: SqlStorage, limit: number): Notice[] {
  return sql
    .exec<{ execution_id: string; signal: string; message: string }>(
      "SELECT execution_id, signal, message FROM waiter_notices LIMIT ?",
      limit,
    )
    .toArray()
    .map((r) => ({ execution_id: r.execution_id, signal: r.signal, message: JSON.parse(r.message) as Message }));
}

export function noticeDelivered(sql: SqlStorage, n: Pick<Notice, "execution_id" | "signal">): void {
  sql.exec("DELETE FROM waiter_notices WHERE execution_id = ? AND signal = ?", n.execution_id, n.signal);
}
