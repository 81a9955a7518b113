/**
 * WorkflowExecution: one Durable Object per ChainBot execution. It pins the definition snapshot and input it
 * was created with and holds the status and every step's status, attempts, output, error and duration in
 * SQLite. The alarm (DueWork) drives it: each tick hands the domain's interpreter (`executionRuntime`) a
 * journal whose every write is committed before the call returns, so an eviction at any point resumes from
 * the last committed step and a completed step never runs again. Step transitions and the seed's
 * `chainbot.workflow.*` events leave through the outbox in the same transaction as the state they announce,
 * and go to live WebSockets (hibernation API) as they happen.
 *
 * RPC: create, begin (from WorkflowAdmission), get, cancel, pause, resume, signal. Timed work: the runner
 * (steps, waits, retries, the workflow deadline), deliveries (the status report to the admission object and
 * the D1 execution index, and a child's result to its parent), the outbox.
 */
import { DurableObject } from "cloudflare:workers";
import { Outbox } from "../workers/platform/bus/outbox";
import { indexStatus } from "./workflow-execution-index";
import { createEvent } from "../workers/platform/bus/envelope";
import { publish } from "../workers/platform/bus/publish";
import { DueWork } from "../workers/platform/durable/due-work";
import type { Env } from "../workers/platform/env";
import { fail, type Failure, type Result } from "../workers/platform/errors";
import { stubOf } from "../workers/platform/rpc";
import { ExecutionJournalImpl } from "./workflow-execution-journal";
import {
  CreateExecutionSchema,
  executionRuntime,
  SignalSchema,
  TERMINAL_STATUSES,
  type CreateExecutionInput,
  type ExecutionStatus,
  type ExecutionView,
  type SignalInput,
  type StepError,
  type StepRecord,
  type StepTransition,
} from "./workflow-execution-contract";
import { ExecutionStore, type Meta } from "./workflow-execution-store";

const notFound = (): Failure => fail(404, "execution_not_found", "no such execution");
const DELIVERY_RETRY_MS = 2_000;

function invalid(issues: { path: PropertyKey[]; message: string }[]): Failure {
  const first = issues[0];
  return fail(400, "invalid_input", `${first?.path.map(String).join(".") ?? "input"}: ${first?.message ?? "invalid"}`);
}

export class WorkflowExecution extends DurableObject<Env> {
  /** The object's clock; tests replace it to reach a deadline without waiting for it. */
  clock: () => number = () => Date.now();
  private readonly store: ExecutionStore;
  private readonly outbox: Outbox;
  private readonly due;
  /** Aborts the in-flight run on cancel or timeout. */
  private running: AbortController | null = null;
  private deliveryRetryAt = 0;
  /** A signal or resume arrived while a run was under way: the run's own wake time must not hide it. */
  private poked = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new ExecutionStore(ctx.storage.sql);
    this.outbox = new Outbox(ctx.storage.sql, (events) => publish(env, events));
    this.due = new DueWork(ctx, {
      clock: () => this.clock(),
      work: {
        runner: { nextDueAt: () => this.runnerDueAt(), run: (now: number) => this.runDue(now) },
        deliveries: { nextDueAt: (now: number) => this.deliveriesDueAt(now), run: () => this.deliver() },
        outbox: this.outbox,
      },
    });
    // A run cut off by an eviction or crash leaves its wake time in the past; if no alarm survived it (the
    // platform retries a failed alarm, but not after every kind of reset), the first touch re-arms it.
    void ctx.blockConcurrencyWhile(async () => {
      if ((await ctx.storage.getAlarm()) !== null) return;
      const due = [this.runnerDueAt(), this.deliveriesDueAt(this.clock())].filter((d) => d !== null);
      if (due.length > 0) await this.due.armBy(Math.max(Math.min(...due), this.clock()));
    });
  }

  /** Stores a new execution as `queued`; creating one that exists returns it unchanged. */
  create(input: CreateExecutionInput): Result<{ created: boolean; execution: ExecutionView }> {
    const parsed = CreateExecutionSchema.safeParse(input);
    if (!parsed.success) return invalid(parsed.error.issues);
    const existing = this.store.view();
    if (existing) return { ok: true, created: false, execution: existing };
    this.store.create(parsed.data, this.clock());
    const view = this.store.view();
    return view ? { ok: true, created: true, execution: view } : notFound();
  }

  /** Admitted: starts running (once). Answers the status it is in, so the admission object sees a cancel. */
  async begin(): Promise<Result<{ status: ExecutionStatus }>> {
    const meta = this.store.meta();
    if (!meta) return notFound();
    if (meta.status === "queued") {
      const now = this.clock();
      this.ctx.storage.transactionSync(() => {
        this.store.setStatus("running", { startedAt: now, deadlineAt: now + meta.timeoutMs });
        this.store.reported("running");
        this.store.setWake(now);
        this.workflowEvent("started", now);
      });
      this.broadcast({ type: "execution", status: "running" });
      await this.due.armBy(now);
    }
    return { ok: true, status: this.store.meta()?.status ?? meta.status };
  }

  get(): Result<{ execution: ExecutionView }> {
    const view = this.store.view();
    return view ? { ok: true, execution: view } : notFound();
  }

  async cancel(): Promise<Result<{ execution: ExecutionView }>> {
    const meta = this.store.meta();
    if (!meta) return notFound();
    if (TERMINAL_STATUSES.includes(meta.status))
      return fail(409, "execution_finished", `the execution is already ${meta.status}`, { status: meta.status });
    this.end("cancelled", null, { code: "cancelled", message: "cancelled by request" });
    this.running?.abort(new Error("cancelled"));
    await this.due.armBy(this.clock());
    return this.get();
  }

  async pause(): Promise<Result<{ execution: ExecutionView }>> {
    const meta = this.store.meta();
    if (!meta) return notFound();
    if (meta.status !== "running" && meta.status !== "queued")
      return fail(409, "not_running", `a ${meta.status} execution cannot be paused`, { status: meta.status });
    if (meta.status === "running") {
      // The step in flight finishes and is kept; the next one waits for resume.
      this.ctx.storage.transactionSync(() => this.store.setStatus("paused"));
      this.broadcast({ type: "execution", status: "paused" });
      await this.due.armBy(this.clock());
    } else return fail(409, "not_running", "a queued execution cannot be paused", { status: meta.status });
    return this.get();
  }

  async resume(): Promise<Result<{ execution: ExecutionView }>> {
    const meta = this.store.meta();
    if (!meta) return notFound();
    if (meta.status !== "paused")
      return fail(409, "not_paused", `a ${meta.status} execution cannot be resumed`, { status: meta.status });
    const now = this.clock();
    this.ctx.storage.transactionSync(() => {
      this.store.setStatus("running");
      this.store.setWake(now);
    });
    if (this.running) this.poked = true;
    this.broadcast({ type: "execution", status: "running" });
    await this.due.armBy(now);
    return this.get();
  }

  /** An event, an approval or a child's result for a waiting step; kept until a step takes it. */
  async signal(input: SignalInput): Promise<Result<{ status: ExecutionStatus }>> {
    const parsed = SignalSchema.safeParse(input);
    if (!parsed.success) return invalid(parsed.error.issues);
    const meta = this.store.meta();
    if (!meta) return notFound();
    if (TERMINAL_STATUSES.includes(meta.status))
      return fail(409, "execution_finished", `the execution is already ${meta.status}`, { status: meta.status });
    const s = parsed.data;
    const now = this.clock();
    this.ctx.storage.transactionSync(() => {
      this.store.addSignal(s.kind, s.name, s.payload, s.by ?? null, now);
      if (meta.status === "running") this.store.setWake(now);
    });
    if (this.running) this.poked = true;
    if (meta.status === "running") await this.due.armBy(now);
    return { ok: true, status: meta.status };
  }

  /** Live tracking: a hibernatable WebSocket that gets the current state, then every transition. */
  override fetch(request: Request): Response {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket")
      return new Response("expected a WebSocket upgrade", { status: 426 });
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    pair[1].send(JSON.stringify({ type: "snapshot", execution: this.store.view() }));
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    if (message === "ping") ws.send("pong");
  }

  override webSocketClose(ws: WebSocket, code: number): void {
    ws.close(code === 1005 ? 1000 : code, "closing");
  }

  override async alarm(): Promise<void> {
    await this.due.alarm();
  }

  /** Called by the journal after each committed step write. */
  stepChanged(rec: StepRecord): void {
    const meta = this.store.meta();
    if (!meta) return;
    const t: StepTransition = {
      execution_id: meta.id,
      workflow_id: meta.workflowId,
      step_key: rec.key,
      step_id: rec.stepId,
      type: rec.type,
      status: rec.status,
      attempt: rec.attempts,
      duration_ms: rec.durationMs,
      error: rec.error,
      at: new Date(this.clock()).toISOString(),
    };
    this.outbox.add(
      createEvent({ type: `chainbot.step.${rec.status}`, source: "chainbot", payload: t, correlationId: meta.id }),
    );
    this.broadcast({ ...t, step_type: t.type, type: "step" });
  }

  private runnerDueAt(): number | null {
    const m = this.store.meta();
    if (!m) return null;
    if (m.status === "paused") return m.deadlineAt;
    if (m.status !== "running") return null;
    if (m.wakeAt === null) return m.deadlineAt;
    return m.deadlineAt === null ? m.wakeAt : Math.min(m.wakeAt, m.deadlineAt);
  }

  private async runDue(now: number): Promise<void> {
    const meta = this.store.meta();
    if (!meta || (meta.status !== "running" && meta.status !== "paused")) return;
    if (meta.deadlineAt !== null && now >= meta.deadlineAt) return this.timeOut(meta);
    if (meta.status === "running" && meta.wakeAt !== null && meta.wakeAt <= now) await this.drive(meta);
  }

  private timeOut(meta: Meta): void {
    const hours = meta.timeoutMs / 3_600_000;
    this.end("failed", null, { code: "workflow_timeout", message: `the workflow ran past ${hours} h` });
  }

  /** One run of the interpreter: as far as it gets before it finishes, fails, waits or is stopped. */
  private async drive(meta: Meta): Promise<void> {
    const controller = new AbortController();
    this.running = controller;
    const deadline = meta.deadlineAt;
    const timer =
      deadline === null
        ? undefined
        : setTimeout(() => controller.abort(new Error("workflow_timeout")), Math.max(0, deadline - this.clock()));
    this.poked = false;
    // The wake time stays in the past while the run is under way: if the object dies mid-step, the
    // execution is still due when it comes back.
    const journal = new ExecutionJournalImpl(this.ctx, this.store, meta, controller.signal, {
      now: () => this.clock(),
      changed: (rec) => this.stepChanged(rec),
      stopped: () => controller.signal.aborted || this.store.meta()?.status !== "running",
    });
    let outcome;
    try {
      outcome = await executionRuntime.get().run(this.env, journal);
    } catch (err) {
      outcome = {
        kind: "failed" as const,
        error: { code: "internal_error", message: err instanceof Error ? err.message : String(err) },
      };
    } finally {
      clearTimeout(timer);
      this.running = null;
    }
    const now = this.clock();
    const current = this.store.meta();
    if (!current) return;
    if (current.deadlineAt !== null && now >= current.deadlineAt && !TERMINAL_STATUSES.includes(current.status))
      return this.timeOut(current);
    if (current.status !== "running") return;
    if (outcome.kind === "completed") this.end("completed", outcome.output, null);
    else if (outcome.kind === "failed") this.end("failed", null, outcome.error);
    else if (outcome.kind === "suspended") this.store.setWake(this.poked ? now : outcome.wakeAt);
    else this.store.setWake(now);
  }

  /** Ends the execution with its event in one transaction. */
  private end(status: ExecutionStatus, output: unknown, error: StepError | null): void {
    const now = this.clock();
    this.ctx.storage.transactionSync(() => {
      this.store.finish(status, now, output, error);
      this.workflowEvent(status === "completed" ? "completed" : "failed", now, status, error);
    });
    this.broadcast({ type: "execution", status, output, error });
  }

  /** The seed's Event Data Format. */
  private workflowEvent(
    kind: "started" | "completed" | "failed",
    now: number,
    status: ExecutionStatus = "running",
    error: StepError | null = null,
  ): void {
    const m = this.store.meta();
    if (!m) return;
    const started = m.startedAt ?? now;
    const payload: Record<string, unknown> = {
      timestamp: new Date(now).toISOString(),
      module_id: "chainbot",
      workflow_id: m.workflowId,
      execution_id: m.id,
      status,
      duration: Math.round((now - started) / 100) / 10,
      steps_completed: this.store.completedCount(),
      total_steps: m.totalSteps,
    };
    if (error) payload.error = error;
    this.outbox.add(
      createEvent({ type: `chainbot.workflow.${kind}`, source: "chainbot", payload, correlationId: m.id, now }),
    );
  }

  private deliveriesDueAt(now: number): number | null {
    const m = this.store.meta();
    if (!m || (m.reportPending === null && !m.parentPending)) return null;
    return Math.max(now, this.deliveryRetryAt);
  }

  /** The status report to the admission object and a finished child's result to its parent. */
  private async deliver(): Promise<void> {
    const m = this.store.meta();
    if (!m) return;
    try {
      if (m.reportPending !== null) {
        const status = m.reportPending;
        await stubOf(this.env.WORKFLOW_ADMISSION, m.workflowId).report({ executionId: m.id, status });
        // The index takes the current state (never older than the report), retried with it until it lands.
        await indexStatus(this.env.DB, m, this.clock());
        this.store.reported(status);
      }
      if (m.parentPending && m.parent) {
        const payload = { status: m.status, output: m.output, error: m.error };
        const res = await stubOf(this.env.WORKFLOW_EXECUTION, m.parent.executionId).signal({
          kind: "child",
          name: m.id,
          payload,
        });
        // A parent that already ended has no use for the result: delivered all the same.
        if (res.ok || res.status === 409 || res.status === 404) this.store.parentNotified();
      }
      this.deliveryRetryAt = 0;
    } catch {
      this.deliveryRetryAt = this.clock() + DELIVERY_RETRY_MS;
    }
  }

  private broadcast(message: Record<string, unknown>): void {
    const text = JSON.stringify(message);
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(text);
      } catch {
        // A socket closing under us: the others still get the message.
      }
    }
  }
}
