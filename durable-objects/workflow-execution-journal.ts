/**
 * The journal a WorkflowExecution hands its interpreter: reads of committed step records and writes that
 * commit (with their transition event) before they return, so whatever the interpreter has been told is
 * done stays done through an eviction.
 */
import type { ExecutionJournal, SignalInput, StepError, StepRecord, TakenSignal } from "./workflow-execution-contract";
import type { ExecutionStore, Meta } from "./workflow-execution-store";

export interface JournalHooks {
  now(): number;
  /** Inside the write's transaction: the transition event and the live message. */
  changed(rec: StepRecord): void;
  stopped(): boolean;
}

export class ExecutionJournalImpl implements ExecutionJournal {
  readonly executionId: string;
  readonly workflowId: string;
  readonly definition: Record<string, unknown>;
  readonly input: Record<string, unknown>;
  readonly retryAttempts: number;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly store: ExecutionStore,
    meta: Meta,
    readonly signal: AbortSignal,
    private readonly hooks: JournalHooks,
  ) {
    this.executionId = meta.id;
    this.workflowId = meta.workflowId;
    this.definition = meta.definition;
    this.input = meta.input;
    this.retryAttempts = meta.retryAttempts;
  }

  now(): number {
    return this.hooks.now();
  }

  record(key: string): StepRecord | null {
    return this.store.step(key);
  }

  stopped(): boolean {
    return this.hooks.stopped();
  }

  waitUntil(work: Promise<unknown>): void {
    this.ctx.waitUntil(work);
  }

  private write(key: string, stepId: string, type: string, set: Record<string, SqlStorageValue>): void {
    this.ctx.storage.transactionSync(() => {
      this.store.upsertStep(key, stepId, type, set);
      const rec = this.store.step(key);
      if (rec) this.hooks.changed(rec);
    });
  }

  beginAttempt(key: string, stepId: string, type: string): number {
    const now = this.now();
    const attempts = (this.store.step(key)?.attempts ?? 0) + 1;
    const prior = this.store.step(key)?.startedAt ?? null;
    this.write(key, stepId, type, {
      status: "running",
      attempts,
      started_at: prior ?? now,
      next_attempt_at: null,
      error: null,
    });
    return attempts;
  }

  private finishedFields(key: string): Record<string, SqlStorageValue> {
    const now = this.now();
    const started = this.store.step(key)?.startedAt ?? now;
    return { finished_at: now, duration_ms: now - started, started_at: started, next_attempt_at: null };
  }

  complete(key: string, stepId: string, type: string, output: unknown): void {
    this.write(key, stepId, type, {
      ...this.finishedFields(key),
      status: "completed",
      output: JSON.stringify(output ?? null),
      error: null,
    });
  }

  retryLater(key: string, error: StepError, at: number): void {
    const rec = this.store.step(key);
    if (!rec) return;
    this.write(key, rec.stepId, rec.type, { status: "retrying", error: JSON.stringify(error), next_attempt_at: at });
  }

  failStep(key: string, stepId: string, type: string, error: StepError): void {
    this.write(key, stepId, type, { ...this.finishedFields(key), status: "failed", error: JSON.stringify(error) });
  }

  skip(key: string, stepId: string, type: string): void {
    const status = this.store.step(key)?.status;
    if (status === "completed" || status === "failed" || status === "skipped") return;
    this.write(key, stepId, type, { status: "skipped", output: "null" });
  }

  waitFor(key: string, stepId: string, type: string, data: Record<string, unknown>): void {
    const now = this.now();
    this.write(key, stepId, type, {
      status: "waiting",
      attempts: Math.max(1, this.store.step(key)?.attempts ?? 0),
      started_at: this.store.step(key)?.startedAt ?? now,
      data: JSON.stringify(data),
    });
  }

  takeSignal(kind: SignalInput["kind"], names: string[], key: string): TakenSignal | null {
    let taken: TakenSignal | null = null;
    this.ctx.storage.transactionSync(() => {
      taken = this.store.takeSignal(kind, names, key);
    });
    return taken;
  }
}
