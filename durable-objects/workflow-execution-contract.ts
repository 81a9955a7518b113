/**
 * The WorkflowExecution object's vocabulary: the RPC arguments (parsed with these schemas inside the object),
 * the views it returns, and the seam to the ChainBot domain. The object is the durable host — state in SQLite,
 * the alarm, the outbox, live sockets — and knows nothing of step types: the domain's interpreter runs the
 * steps against an `ExecutionJournal` the object implements, and the Worker entry provides that interpreter
 * through `executionRuntime` (platform/provided.ts).
 */
import { z } from "zod";
import type { Env } from "../workers/platform/env";
import { providedSlot } from "../workers/platform/provided";
import type { Result } from "../workers/platform/errors";

export const EXECUTION_STATUSES = ["queued", "running", "paused", "completed", "failed", "cancelled"] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
export const TERMINAL_STATUSES: readonly ExecutionStatus[] = ["completed", "failed", "cancelled"];

export const STEP_STATUSES = ["running", "retrying", "waiting", "completed", "failed", "skipped"] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export const executionId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "an execution id is 1–64 letters, digits, _ or -");

export const CreateExecutionSchema = z.object({
  id: executionId,
  workflowId: z.string().min(1).max(200),
  workflowVersion: z.number().int().min(1),
  /** The pinned definition snapshot (the domain checked it when it was stored). */
  definition: z.record(z.string(), z.unknown()),
  input: z.record(z.string(), z.unknown()),
  timeoutHours: z.number().positive(),
  retryAttempts: z.number().int().min(0).max(100),
  totalSteps: z.number().int().min(0),
  createdBy: z.string().min(1).max(256),
  /** Set for a sub_workflow's child: whom to tell when it ends. */
  parent: z.object({ executionId, stepKey: z.string().min(1).max(2_000) }).optional(),
});
export type CreateExecutionInput = z.infer<typeof CreateExecutionSchema>;

export const SignalSchema = z.object({
  kind: z.enum(["event", "approval", "child"]),
  /** The event name, the approval's step id (or `*`), or the child's execution id. */
  name: z.string().min(1).max(200),
  payload: z.unknown(),
  by: z.string().max(256).optional(),
});
export type SignalInput = z.infer<typeof SignalSchema>;

export interface StepError {
  code: string;
  message: string;
}

export interface StepRecord {
  key: string;
  stepId: string;
  type: string;
  status: StepStatus;
  attempts: number;
  output: unknown;
  error: StepError | null;
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  nextAttemptAt: number | null;
  /** Interpreter bookkeeping that must survive a restart: a wait's deadline, a child's execution id. */
  data: Record<string, unknown> | null;
}

export interface ExecutionView {
  id: string;
  workflowId: string;
  workflowVersion: number;
  status: ExecutionStatus;
  input: unknown;
  output: unknown;
  error: StepError | null;
  stepsCompleted: number;
  totalSteps: number;
  createdBy: string;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  deadlineAt: number | null;
  parent: { executionId: string; stepKey: string } | null;
  steps: StepRecord[];
}

/** A signal taken by a waiting step. */
export interface TakenSignal {
  payload: unknown;
  by: string | null;
  at: number;
}

/** What the interpreter may read and write; every write is committed before it returns. */
export interface ExecutionJournal {
  readonly executionId: string;
  readonly workflowId: string;
  readonly definition: Record<string, unknown>;
  readonly input: Record<string, unknown>;
  readonly retryAttempts: number;
  /** Aborted when the execution is cancelled, paused or timed out: in-flight calls stop. */
  readonly signal: AbortSignal;
  now(): number;
  record(key: string): StepRecord | null;
  /** Starts an attempt (status running, attempts + 1) and returns its number. */
  beginAttempt(key: string, stepId: string, type: string): number;
  complete(key: string, stepId: string, type: string, output: unknown): void;
  retryLater(key: string, error: StepError, at: number): void;
  failStep(key: string, stepId: string, type: string, error: StepError): void;
  skip(key: string, stepId: string, type: string): void;
  /** Marks a step waiting (a wait, a child) with bookkeeping to keep. */
  waitFor(key: string, stepId: string, type: string, data: Record<string, unknown>): void;
  /** The oldest unconsumed signal of this kind and name, now consumed by `key` (idempotent per key). */
  takeSignal(kind: SignalInput["kind"], names: string[], key: string): TakenSignal | null;
  /** Whether the run must stop now (cancel, pause, timeout). */
  stopped(): boolean;
  /** Keeps the object alive for background work a step started (the model gateway's inference log). */
  waitUntil(work: Promise<unknown>): void;
}

export type RunOutcome =
  | { kind: "completed"; output: unknown }
  | { kind: "failed"; error: StepError }
  /** Nothing to do before `wakeAt` (null: until a signal arrives). */
  | { kind: "suspended"; wakeAt: number | null }
  | { kind: "stopped" };

export interface ChildRequest {
  childId: string;
  workflowId: string;
  version?: number | undefined;
  input: Record<string, unknown>;
  parent: { executionId: string; stepKey: string };
  createdBy: string;
}

/** The domain half of an execution, provided by the Worker entry. */
export interface ExecutionRuntime {
  run(env: Env, journal: ExecutionJournal): Promise<RunOutcome>;
  /** Starts (or finds) a sub_workflow's child execution. */
  startChild(env: Env, request: ChildRequest): Promise<Result<{ executionId: string }>>;
}

export const executionRuntime = providedSlot<ExecutionRuntime>("the ChainBot execution runtime");

/** A step transition as live sockets and the bus see it. */
export interface StepTransition {
  execution_id: string;
  workflow_id: string;
  step_key: string;
  step_id: string;
  type: string;
  status: StepStatus;
  attempt: number;
  duration_ms: number | null;
  error: StepError | null;
  at: string;
}
