/**
 * The WorkflowExecution object's SQLite: one `meta` row (the pinned definition, input, status, deadlines and
 * the two deliveries still owed — the admission report and the parent's notice), a row per step instance
 * (status, attempts, output, error, timing), and the signals (events, approvals, child results) sent to it.
 * Plain synchronous SQL, so callers wrap several writes and an outbox row in one transaction.
 */
import type {
  CreateExecutionInput,
  ExecutionStatus,
  ExecutionView,
  StepError,
  StepRecord,
  StepStatus,
  TakenSignal,
} from "./workflow-execution-contract";

export interface Meta {
  id: string;
  workflowId: string;
  workflowVersion: number;
  definition: Record<string, unknown>;
  input: Record<string, unknown>;
  status: ExecutionStatus;
  output: unknown;
  error: StepError | null;
  totalSteps: number;
  createdBy: string;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  deadlineAt: number | null;
  timeoutMs: number;
  retryAttempts: number;
  wakeAt: number | null;
  parent: { executionId: string; stepKey: string } | null;
  /** The status the admission object has not yet acknowledged. */
  reportPending: ExecutionStatus | null;
  parentPending: boolean;
}

type Row = Record<string, SqlStorageValue>;

const parse = (text: SqlStorageValue | undefined): unknown => (typeof text === "string" ? JSON.parse(text) : null);
const num = (v: SqlStorageValue | undefined): number | null => (typeof v === "number" ? v : null);

function stepOf(r: Row): StepRecord {
  const started = num(r.started_at);
  const finished = num(r.finished_at);
  return {
    key: String(r.key),
    stepId: String(r.step_id),
    type: String(r.type),
    status: String(r.status) as StepStatus,
    attempts: Number(r.attempts),
    output: parse(r.output),
    error: parse(r.error) as StepError | null,
    startedAt: started,
    finishedAt: finished,
    durationMs: num(r.duration_ms),
    nextAttemptAt: num(r.next_attempt_at),
    data: parse(r.data) as Record<string, unknown> | null,
  };
}

export class ExecutionStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS meta (
      id TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, workflow_version INTEGER NOT NULL, definition TEXT NOT NULL,
      input TEXT NOT NULL, status TEXT NOT NULL, output TEXT, error TEXT, total_steps INTEGER NOT NULL,
      created_by TEXT NOT NULL, created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER,
      deadline_at INTEGER, timeout_ms INTEGER NOT NULL, retry_attempts INTEGER NOT NULL, wake_at INTEGER,
      parent_execution TEXT, parent_key TEXT, report_pending TEXT, parent_pending INTEGER NOT NULL DEFAULT 0
    )`);
    sql.exec(`CREATE TABLE IF NOT EXISTS steps (
      key TEXT PRIMARY KEY, seq INTEGER NOT NULL, step_id TEXT NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0, output TEXT, error TEXT, started_at INTEGER, finished_at INTEGER,
      duration_ms INTEGER, next_attempt_at INTEGER, data TEXT
    )`);
    sql.exec(`CREATE TABLE IF NOT EXISTS signals (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, name TEXT NOT NULL, payload TEXT,
      by_user TEXT, at INTEGER NOT NULL, consumed_by TEXT
    )`);
  }

  create(a: CreateExecutionInput, now: number): void {
    this.sql.exec(
      `INSERT INTO meta (id, workflow_id, workflow_version, definition, input, status, total_steps, created_by,
        created_at, timeout_ms, retry_attempts, parent_execution, parent_key, report_pending)
       VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, NULL)`,
      a.id,
      a.workflowId,
      a.workflowVersion,
      JSON.stringify(a.definition),
      JSON.stringify(a.input),
      a.totalSteps,
      a.createdBy,
      now,
      Math.round(a.timeoutHours * 3_600_000),
      a.retryAttempts,
      a.parent?.executionId ?? null,
      a.parent?.stepKey ?? null,
    );
  }

  meta(): Meta | null {
    const r = this.sql.exec<Row>("SELECT * FROM meta LIMIT 1").toArray()[0];
    if (!r) return null;
    const parentId = r.parent_execution;
    return {
      id: String(r.id),
      workflowId: String(r.workflow_id),
      workflowVersion: Number(r.workflow_version),
      definition: parse(r.definition) as Record<string, unknown>,
      input: parse(r.input) as Record<string, unknown>,
      status: String(r.status) as ExecutionStatus,
      output: parse(r.output),
      error: parse(r.error) as StepError | null,
      totalSteps: Number(r.total_steps),
      createdBy: String(r.created_by),
      createdAt: Number(r.created_at),
      startedAt: num(r.started_at),
      finishedAt: num(r.finished_at),
      deadlineAt: num(r.deadline_at),
      timeoutMs: Number(r.timeout_ms),
      retryAttempts: Number(r.retry_attempts),
      wakeAt: num(r.wake_at),
      parent: typeof parentId === "string" ? { executionId: parentId, stepKey: String(r.parent_key) } : null,
      reportPending: typeof r.report_pending === "string" ? (r.report_pending as ExecutionStatus) : null,
      parentPending: r.parent_pending === 1,
    };
  }

  /** Moves to `status` and owes the admission object a report of it. */
  setStatus(status: ExecutionStatus, fields: { startedAt?: number; deadlineAt?: number; finishedAt?: number } = {}) {
    this.sql.exec(
      `UPDATE meta SET status = ?, report_pending = ?, started_at = COALESCE(?, started_at),
        deadline_at = COALESCE(?, deadline_at), finished_at = COALESCE(?, finished_at)`,
      status,
      status,
      fields.startedAt ?? null,
      fields.deadlineAt ?? null,
      fields.finishedAt ?? null,
    );
  }

  finish(status: ExecutionStatus, now: number, output: unknown, error: StepError | null): void {
    this.sql.exec(
      `UPDATE meta SET status = ?, report_pending = ?, finished_at = ?, output = ?, error = ?, wake_at = NULL,
        parent_pending = CASE WHEN parent_execution IS NULL THEN 0 ELSE 1 END`,
      status,
      status,
      now,
      JSON.stringify(output ?? null),
      error === null ? null : JSON.stringify(error),
    );
  }

  setWake(at: number | null): void {
    this.sql.exec("UPDATE meta SET wake_at = ?", at);
  }

  reported(status: ExecutionStatus): void {
    this.sql.exec("UPDATE meta SET report_pending = NULL WHERE report_pending = ?", status);
  }

  parentNotified(): void {
    this.sql.exec("UPDATE meta SET parent_pending = 0");
  }

  step(key: string): StepRecord | null {
    const r = this.sql.exec<Row>("SELECT * FROM steps WHERE key = ?", key).toArray()[0];
    return r ? stepOf(r) : null;
  }

  steps(): StepRecord[] {
    return this.sql.exec<Row>("SELECT * FROM steps ORDER BY seq").toArray().map(stepOf);
  }

  /** Distinct step ids completed: a loop body counts once however many iterations it ran. */
  completedCount(): number {
    return this.sql
      .exec<{ n: number }>("SELECT COUNT(DISTINCT step_id) AS n FROM steps WHERE status = 'completed'")
      .one().n;
  }

  /** Inserts the step row if new, then applies `set` (column → value) to it. */
  upsertStep(key: string, stepId: string, type: string, set: Record<string, SqlStorageValue>): void {
    this.sql.exec(
      `INSERT INTO steps (key, seq, step_id, type, status)
       VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM steps), ?, ?, 'running') ON CONFLICT (key) DO NOTHING`,
      key,
      stepId,
      type,
    );
    const cols = Object.keys(set);
    if (cols.length === 0) return;
    this.sql.exec(
      `UPDATE steps SET ${cols.map((c) => `${c} = ?`).join(", ")} WHERE key = ?`,
      ...cols.map((c) => set[c] ?? null),
      key,
    );
  }

  addSignal(kind: string, name: string, payload: unknown, by: string | null, now: number): void {
    this.sql.exec(
      "INSERT INTO signals (kind, name, payload, by_user, at) VALUES (?, ?, ?, ?, ?)",
      kind,
      name,
      JSON.stringify(payload ?? null),
      by,
      now,
    );
  }

  takeSignal(kind: string, names: string[], key: string): TakenSignal | null {
    const pick = (r: Row | undefined): TakenSignal | null =>
      r ? { payload: parse(r.payload), by: typeof r.by_user === "string" ? r.by_user : null, at: Number(r.at) } : null;
    const mine = this.sql.exec<Row>("SELECT * FROM signals WHERE consumed_by = ? LIMIT 1", key).toArray()[0];
    if (mine) return pick(mine);
    const marks = names.map(() => "?").join(", ");
    const free = this.sql
      .exec<Row>(
        `SELECT * FROM signals WHERE consumed_by IS NULL AND kind = ? AND name IN (${marks}) ORDER BY seq LIMIT 1`,
        kind,
        ...names,
      )
      .toArray()[0];
    if (!free) return null;
    this.sql.exec("UPDATE signals SET consumed_by = ? WHERE seq = ?", key, Number(free.seq));
    return pick(free);
  }

  view(): ExecutionView | null {
    const m = this.meta();
    if (!m) return null;
    return {
      id: m.id,
      workflowId: m.workflowId,
      workflowVersion: m.workflowVersion,
      status: m.status,
      input: m.input,
      output: m.output,
      error: m.error,
      stepsCompleted: this.completedCount(),
      totalSteps: m.totalSteps,
      createdBy: m.createdBy,
      createdAt: m.createdAt,
      startedAt: m.startedAt,
      finishedAt: m.finishedAt,
      deadlineAt: m.deadlineAt,
      parent: m.parent,
      steps: this.steps(),
    };
  }
}
