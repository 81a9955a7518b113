/**
 * WorkflowAdmission: one Durable Object per workflow, the gate for `max_concurrent_executions`. Every
 * execution of the workflow is enqueued here in arrival order; at most `limit` are admitted (running or
 * paused) at once and the rest wait FIFO. Single-threaded, so concurrent execute calls cannot overshoot the
 * limit. Executions report each status change back; a terminal one frees its slot and admits the next. It
 * is also the per-workflow index the execution list reads (status filter, keyset cursor).
 *
 * RPC: enqueue(input), report(input), list(input). Starting an admitted execution (`begin`) is retried by
 * the alarm until it lands.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { DueWork } from "../workers/platform/durable/due-work";
import type { Env } from "../workers/platform/env";
import { fail, type Result } from "../workers/platform/errors";
import { stubOf } from "../workers/platform/rpc";
import { EXECUTION_STATUSES, executionId, type ExecutionStatus } from "./workflow-execution-contract";

export const EnqueueSchema = z.object({ executionId, limit: z.number().int().min(1).max(1_000) });
export const ReportSchema = z.object({ executionId, status: z.enum(EXECUTION_STATUSES) });
export const ListSchema = z.object({
  status: z.enum(EXECUTION_STATUSES).optional(),
  limit: z.number().int().min(1).max(200),
  /** The seq of the last row of the previous page (newest first). */
  before: z.number().int().optional(),
});

export interface AdmissionRow {
  seq: number;
  executionId: string;
  status: ExecutionStatus;
  createdAt: number;
  updatedAt: number;
}

const RETRY_BEGIN_MS = 1_000;
const ACTIVE = "('running', 'paused')";

type Row = Record<string, SqlStorageValue>;
const rowOf = (r: Row): AdmissionRow => ({
  seq: Number(r.seq),
  executionId: String(r.id),
  status: String(r.status) as ExecutionStatus,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export class WorkflowAdmission extends DurableObject<Env> {
  clock: () => number = () => Date.now();
  private readonly sql: SqlStorage;
  private readonly due;
  /** Begins under way: concurrent enqueues each start only their own share, never the same one twice. */
  private readonly beginning = new Set<string>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS execs (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, status TEXT NOT NULL,
      created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, begun INTEGER NOT NULL DEFAULT 0
    )`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS execs_status ON execs (status, seq)");
    this.sql.exec("CREATE TABLE IF NOT EXISTS settings (k TEXT PRIMARY KEY, v INTEGER NOT NULL)");
    this.due = new DueWork(ctx, {
      clock: () => this.clock(),
      work: {
        begin: {
          nextDueAt: (now: number) => (this.unbegun().length > 0 ? now + RETRY_BEGIN_MS : null),
          run: () => this.beginAdmitted(),
        },
      },
    });
    // Admitted but never begun (the object was reset between the two): the first touch re-arms the retry.
    void ctx.blockConcurrencyWhile(async () => {
      if ((await ctx.storage.getAlarm()) === null && this.unbegun().length > 0) await this.due.armBy(this.clock());
    });
  }

  /** Queues the execution and admits as many as the limit allows; says where this one stands. */
  async enqueue(input: z.infer<typeof EnqueueSchema>): Promise<Result<{ status: ExecutionStatus; position: number }>> {
    const parsed = EnqueueSchema.safeParse(input);
    if (!parsed.success) return fail(400, "invalid_input", parsed.error.issues[0]?.message ?? "invalid");
    const { executionId: id, limit } = parsed.data;
    const now = this.clock();
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        "INSERT INTO settings (k, v) VALUES ('limit', ?) ON CONFLICT (k) DO UPDATE SET v = ?",
        limit,
        limit,
      );
      this.sql.exec(
        "INSERT INTO execs (id, status, created_at, updated_at) VALUES (?, 'queued', ?, ?) ON CONFLICT (id) DO NOTHING",
        id,
        now,
        now,
      );
      this.promote(now);
    });
    await this.beginAdmitted();
    const row = this.sql.exec<Row>("SELECT * FROM execs WHERE id = ?", id).toArray()[0];
    const status = row ? (String(row.status) as ExecutionStatus) : "queued";
    return { ok: true, status, position: status === "queued" ? this.positionOf(id) : 0 };
  }

  /** An execution's new status; a terminal one frees its slot for the oldest queued execution. */
  async report(input: z.infer<typeof ReportSchema>): Promise<Result<{ status: ExecutionStatus }>> {
    const parsed = ReportSchema.safeParse(input);
    if (!parsed.success) return fail(400, "invalid_input", parsed.error.issues[0]?.message ?? "invalid");
    const { executionId: id, status } = parsed.data;
    const now = this.clock();
    this.ctx.storage.transactionSync(() => {
      // A terminal status is final: a late report of an earlier one cannot take a slot back.
      this.sql.exec(
        `UPDATE execs SET status = ?, updated_at = ?, begun = CASE WHEN ? = 'queued' THEN begun ELSE 1 END
         WHERE id = ? AND status NOT IN ('completed', 'failed', 'cancelled')`,
        status,
        now,
        status,
        id,
      );
      this.promote(now);
    });
    await this.beginAdmitted();
    return { ok: true, status };
  }

  /** The workflow's executions, newest first, optionally of one status. */
  list(input: z.infer<typeof ListSchema>): Result<{ executions: AdmissionRow[]; next: number | null }> {
    const parsed = ListSchema.safeParse(input);
    if (!parsed.success) return fail(400, "invalid_input", parsed.error.issues[0]?.message ?? "invalid");
    const { status, limit, before } = parsed.data;
    const rows = this.sql
      .exec<Row>(
        `SELECT * FROM execs WHERE (? IS NULL OR status = ?) AND (? IS NULL OR seq < ?) ORDER BY seq DESC LIMIT ?`,
        status ?? null,
        status ?? null,
        before ?? null,
        before ?? null,
        limit + 1,
      )
      .toArray()
      .map(rowOf);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { ok: true, executions: page, next: rows.length > limit && last ? last.seq : null };
  }

  override async alarm(): Promise<void> {
    await this.due.alarm();
  }

  private limit(): number {
    return this.sql.exec<{ v: number }>("SELECT v FROM settings WHERE k = 'limit'").toArray()[0]?.v ?? 1;
  }

  /** Admits the oldest queued executions while slots are free (inside the caller's transaction). */
  private promote(now: number): void {
    const active = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM execs WHERE status IN ${ACTIVE}`).one().n;
    const free = this.limit() - active;
    if (free <= 0) return;
    this.sql.exec(
      `UPDATE execs SET status = 'running', updated_at = ?, begun = 0
       WHERE seq IN (SELECT seq FROM execs WHERE status = 'queued' ORDER BY seq LIMIT ?)`,
      now,
      free,
    );
  }

  private positionOf(id: string): number {
    return this.sql
      .exec<{ n: number }>(
        "SELECT COUNT(*) AS n FROM execs WHERE status = 'queued' AND seq <= (SELECT seq FROM execs WHERE id = ?)",
        id,
      )
      .one().n;
  }

  private unbegun(): string[] {
    return this.sql
      .exec<{ id: string }>(`SELECT id FROM execs WHERE status IN ${ACTIVE} AND begun = 0 ORDER BY seq`)
      .toArray()
      .map((r) => r.id);
  }

  /** Tells each admitted execution to start; one that cannot be reached is retried by the alarm. */
  private async beginAdmitted(): Promise<void> {
    // Bounded: each round either starts executions or frees slots that a cancel already emptied.
    for (let round = 0; round < 10; round++) if (!(await this.beginRound())) return;
  }

  /** One round of begins; true when a slot came free on the way (cancelled while queued). */
  private async beginRound(): Promise<boolean> {
    const ids = this.unbegun().filter((id) => !this.beginning.has(id));
    if (ids.length === 0) return false;
    for (const id of ids) this.beginning.add(id);
    let failed = false;
    let freed = false;
    await Promise.all(
      ids.map(async (id) => {
        try {
          const started = await stubOf(this.env.WORKFLOW_EXECUTION, id).begin();
          this.sql.exec("UPDATE execs SET begun = 1 WHERE id = ?", id);
          // Cancelled while it waited: its slot is free again at once.
          if (started.ok && started.status !== "running") {
            this.sql.exec("UPDATE execs SET status = ? WHERE id = ?", started.status, id);
            freed = true;
          }
        } catch {
          failed = true;
        } finally {
          this.beginning.delete(id);
        }
      }),
    );
    if (failed) await this.due.armBy(this.clock() + RETRY_BEGIN_MS);
    if (freed) this.ctx.storage.transactionSync(() => this.promote(this.clock()));
    return freed;
  }
}
