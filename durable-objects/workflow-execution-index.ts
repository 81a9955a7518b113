/**
 * The D1 index of ChainBot executions (`chainbot_executions`): the starter records a new execution as
 * `queued`, and the execution object upserts its status each time it delivers a status report. A terminal
 * row is final, so a late or replayed write cannot bring a finished execution back.
 */

export interface IndexedExecution {
  id: string;
  workflowId: string;
  workflowVersion: number;
  status: string;
  createdBy: string;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  deadlineAt: number | null;
}

/** Records a new execution; an existing row (the object got there first) is left as it is. */
export async function indexQueued(db: D1Database, e: IndexedExecution, now: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO chainbot_executions (id, workflow_id, workflow_version, status, created_by, created_at, updated_at)
       VALUES (?, ?, ?, 'queued', ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    )
    .bind(e.id, e.workflowId, e.workflowVersion, e.createdBy, e.createdAt, now)
    .run();
}

/** The execution's current status and times, unless its row is already terminal. */
export async function indexStatus(db: D1Database, e: IndexedExecution, now: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO chainbot_executions (id, workflow_id, workflow_version, status, created_by, created_at,
         updated_at, started_at, finished_at, deadline_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at,
         started_at = excluded.started_at, finished_at = excluded.finished_at, deadline_at = excluded.deadline_at
       WHERE chainbot_executions.status NOT IN ('completed', 'failed', 'cancelled')`,
    )
    .bind(
      e.id,
      e.workflowId,
      e.workflowVersion,
      e.status,
      e.createdBy,
      e.createdAt,
      now,
      e.startedAt,
      e.finishedAt,
      e.deadlineAt,
    )
    .run();
}
