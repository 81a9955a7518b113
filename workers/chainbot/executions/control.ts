/**
 * The control flow of an interpreter run, thrown through the step walk and caught where the run ends:
 * suspend until a time (or a signal), a failed step, a stop (cancel, pause, timeout); and the scope a
 * sequence of steps runs in; and the leaf steps that reach outside, as the runtime composes them.
 */
import type { StepError } from "../../../durable-objects/workflow-execution-contract";
import type { Env } from "../../platform/env";
import type { Step } from "../workflows/definition-schema";

export class Suspend extends Error {
  constructor(readonly wakeAt: number | null) {
    super("suspended");
  }
}

export class Failed extends Error {
  constructor(readonly error: StepError) {
    super(error.message);
  }
}

export class Stopped extends Error {}

export interface Scope {
  vars: Record<string, unknown>;
  prefix: string;
  /** Set by a join-any parallel once a branch has won: the others stop at their next step. */
  halted?: () => boolean;
}

/** Leaf steps that reach outside: the runtime composes them (api_call, agent_task, child executions). */
export interface LeafSteps {
  apiCall(env: Env, step: Extract<Step, { type: "api_call" }>, at: LeafCall): Promise<unknown>;
  agentTask(env: Env, step: Extract<Step, { type: "agent_task" }>, at: LeafCall): Promise<unknown>;
  childId(executionId: string, key: string): Promise<string>;
}

export interface LeafCall {
  executionId: string;
  key: string;
  attempt: number;
  vars: Readonly<Record<string, unknown>>;
  signal: AbortSignal;
  waitUntil(work: Promise<unknown>): void;
}
