/**
 * EdgeHub's SQLite layer: the device's job queue (ids, sequence numbers, ack state, deadlines), the chunks
 * each job has streamed back (so a reader that arrives late, or resumes, is replayed them), and what the hub
 * knows about its device. Everything is synchronous, so the hub composes it with no await in between.
 */
import type { JobFailure, JobKind } from "./protocol";

const SCHEMA = [
  // AUTOINCREMENT: a seq is never reused after old jobs are purged, so a late ack cannot hit a newer job.
  `CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, request TEXT NOT NULL,
    status TEXT NOT NULL, failure TEXT, message TEXT, error_status INTEGER,
    deadline_at INTEGER NOT NULL, created_at INTEGER NOT NULL, finished_at INTEGER)`,
  "CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, deadline_at)",
  "CREATE TABLE IF NOT EXISTS chunks (job_id TEXT NOT NULL, idx INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (job_id, idx)) WITHOUT ROWID",
  `CREATE TABLE IF NOT EXISTS device (
    id INTEGER PRIMARY KEY CHECK (id = 1), device_id TEXT NOT NULL, agent_version TEXT,
    connected_at INTEGER, hello_at INTEGER)`,
];

/** `sent`: on the wire, not acked yet (resent on reconnect). `running`: the device acked it. */
export type JobStatus = "sent" | "running" | "done" | "failed";

export interface JobRow {
  seq: number;
  job_id: string;
  kind: JobKind;
  request: string;
  status: JobStatus;
  failure: JobFailure | null;
  message: string | null;
  error_status: number | null;
  deadline_at: number;
  finished_at: number | null;
}

export interface DeviceRow {
  device_id: string;
  agent_version: string | null;
  connected_at: number | null;
  hello_at: number | null;
}

const OPEN = "status IN ('sent', 'running')";

export function isOpen(job: JobRow): boolean {
  return job.status === "sent" || job.status === "running";
}

export class JobStore {
  /**
   * Rows already read, by job id: each chunk a device streams looks its job up, and a SQLite read per chunk
   * was the hub's largest cost per inference. Every write to a job drops its entry (never updates it), so the
   * cache can only be behind by a read, never wrong. None of these writes runs inside a transaction.
   */
  private readonly rows = new Map<string, JobRow>();

  constructor(private readonly sql: SqlStorage) {
    for (const statement of SCHEMA) sql.exec(statement);
  }

  insert(jobId: string, kind: JobKind, request: string, now: number, deadlineAt: number): number {
    const row = this.sql
      .exec<{ seq: number }>(
        "INSERT INTO jobs (job_id, kind, request, status, deadline_at, created_at) VALUES (?, ?, ?, 'sent', ?, ?) RETURNING seq",
        jobId,
        kind,
        request,
        deadlineAt,
        now,
      )
      .one();
    return row.seq;
  }

  get(jobId: string): JobRow | null {
    const cached = this.rows.get(jobId);
    if (cached) return cached;
    const row =
      this.sql
        .exec<Record<string, SqlStorageValue>>("SELECT * FROM jobs WHERE job_id = ?", jobId)
        .toArray()
        .map(toJob)[0] ?? null;
    if (row) this.rows.set(jobId, row);
    return row;
  }

  /** The device took the job: it is no longer resent on reconnect. Unknown or repeated acks change nothing. */
  ack(seq: number): void {
    // Acks name a seq, not a job id: forget every cached row (one ack per job, so this is rare).
    this.rows.clear();
    this.sql.exec("UPDATE jobs SET status = 'running' WHERE seq = ? AND status = 'sent'", seq);
  }

  markRunning(jobId: string): void {
    this.rows.delete(jobId);
    this.sql.exec("UPDATE jobs SET status = 'running' WHERE job_id = ? AND status = 'sent'", jobId);
  }

  /** Stores a chunk once; false when that index was already stored (a resend). */
  addChunk(jobId: string, index: number, data: string): boolean {
    return (
      this.sql
        .exec(
          "INSERT INTO chunks (job_id, idx, data) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1",
          jobId,
          index,
          data,
        )
        .toArray().length > 0
    );
  }

  chunks(jobId: string, sinceIndex: number): { idx: number; data: string }[] {
    return this.sql
      .exec<{ idx: number; data: string }>(
        "SELECT idx, data FROM chunks WHERE job_id = ? AND idx >= ? ORDER BY idx",
        jobId,
        sinceIndex,
      )
      .toArray();
  }

  finish(
    jobId: string,
    now: number,
    failure?: { reason: JobFailure; message: string; status?: number | undefined },
  ): boolean {
    this.rows.delete(jobId);
    const changed = failure
      ? this.sql.exec(
          `UPDATE jobs SET status = 'failed', failure = ?, message = ?, error_status = ?, finished_at = ? WHERE job_id = ? AND ${OPEN} RETURNING 1`,
          failure.reason,
          failure.message,
          failure.status ?? null,
          now,
          jobId,
        )
      : this.sql.exec(
          `UPDATE jobs SET status = 'done', finished_at = ? WHERE job_id = ? AND ${OPEN} RETURNING 1`,
          now,
          jobId,
        );
    return changed.toArray().length > 0;
  }

  /** Jobs the device has not acked and that still have time: what a reconnecting device is sent again. */
  unacked(now: number): JobRow[] {
    return this.sql
      .exec<Record<string, SqlStorageValue>>(
        "SELECT * FROM jobs WHERE status = 'sent' AND deadline_at > ? ORDER BY seq",
        now,
      )
      .toArray()
      .map(toJob);
  }

  expired(now: number): JobRow[] {
    return this.sql
      .exec<Record<string, SqlStorageValue>>(`SELECT * FROM jobs WHERE ${OPEN} AND deadline_at <= ? ORDER BY seq`, now)
      .toArray()
      .map(toJob);
  }

  openCount(): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM jobs WHERE ${OPEN}`).one().n;
  }

  /** Forgets finished jobs (and their chunks) once late readers have had their chance. */
  purgeFinished(before: number): void {
    this.rows.clear();
    this.sql.exec(
      "DELETE FROM chunks WHERE job_id IN (SELECT job_id FROM jobs WHERE finished_at IS NOT NULL AND finished_at <= ?)",
      before,
    );
    this.sql.exec("DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at <= ?", before);
  }

  /** When the alarm must next run: the earliest open deadline, or when the oldest finished job may go. */
  nextDue(retainMs: number): number | null {
    const row = this.sql
      .exec<{ deadline: number | null; finished: number | null }>(
        `SELECT (SELECT MIN(deadline_at) FROM jobs WHERE ${OPEN}) AS deadline, (SELECT MIN(finished_at) FROM jobs WHERE finished_at IS NOT NULL) AS finished`,
      )
      .one();
    const candidates = [row.deadline, row.finished === null ? null : row.finished + retainMs].filter(
      (t): t is number => t !== null,
    );
    return candidates.length === 0 ? null : Math.min(...candidates);
  }

  device(): DeviceRow | null {
    return (
      this.sql.exec<Record<string, SqlStorageValue>>("SELECT * FROM device WHERE id = 1").toArray().map(toDevice)[0] ??
      null
    );
  }

  connected(deviceId: string, now: number): void {
    this.sql.exec(
      "INSERT INTO device (id, device_id, connected_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET device_id = excluded.device_id, connected_at = excluded.connected_at",
      deviceId,
      now,
    );
  }

  hello(agentVersion: string, now: number): void {
    this.sql.exec("UPDATE device SET agent_version = ?, hello_at = ? WHERE id = 1", agentVersion, now);
  }
}

function toJob(row: Record<string, SqlStorageValue>): JobRow {
  return {
    seq: Number(row.seq),
    job_id: String(row.job_id),
    kind: String(row.kind) as JobKind,
    request: String(row.request),
    status: String(row.status) as JobStatus,
    failure: row.failure === null || row.failure === undefined ? null : (String(row.failure) as JobFailure),
    message: row.message === null || row.message === undefined ? null : String(row.message),
    error_status: row.error_status === null || row.error_status === undefined ? null : Number(row.error_status),
    deadline_at: Number(row.deadline_at),
    finished_at: row.finished_at === null || row.finished_at === undefined ? null : Number(row.finished_at),
  };
}

function toDevice(row: Record<string, SqlStorageValue>): DeviceRow {
  const num = (v: SqlStorageValue | undefined) => (v === null || v === undefined ? null : Number(v));
  return {
    device_id: String(row.device_id),
    agent_version: row.agent_version === null || row.agent_version === undefined ? null : String(row.agent_version),
    connected_at: num(row.connected_at),
    hello_at: num(row.hello_at),
  };
}
