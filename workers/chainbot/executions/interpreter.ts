/**
 * The ChainBot interpreter: walks a pinned definition against the execution's journal. It replays: every
 * run starts from the first step, and a step the journal has as completed is not run again — its recorded
 * output is used — so a run resumed after an eviction, a retry delay or a wait continues exactly where the
 * last committed write left it. Everything it decides from (conditions, loop lists) is computed from
 * recorded outputs, so a replay decides the same way. A run ends when the workflow completes or fails, or
 * suspends when nothing can happen before a time (retry, wait) or a signal (event, approval, child).
 */
import type { Env } from "../../platform/env";
import type {
  ExecutionJournal,
  ExecutionRuntime,
  RunOutcome,
} from "../../../durable-objects/workflow-execution-contract";
import { evaluateExpression } from "../expressions/engine";
import type { Json } from "../expressions/cel-values";
import {
  ENTANGLEMENT_MESSAGE,
  WorkflowDefinitionSchema,
  type Step,
  type WorkflowDefinition,
} from "../workflows/definition-schema";
import { Failed, Stopped, Suspend, type LeafCall, type LeafSteps, type Scope } from "./control";
import { ExecError, retryDelayMs, toStepError, withTimeout } from "./step-errors";
import { runSubWorkflow, runWait } from "./waits";
import { runEntanglementWait } from "./entanglement-wait";

const earliest = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.min(a, b);

function childIds(step: Step): string[] {
  if (step.type === "condition") return [...step.true_steps, ...step.false_steps];
  if (step.type === "loop") return step.steps;
  if (step.type === "parallel") return step.branches.flat();
  return [];
}

/** The steps no container names, in order: the workflow's top-level sequence. */
export function topLevelIds(def: WorkflowDefinition): string[] {
  const contained = new Set(def.steps.flatMap(childIds));
  return def.steps.filter((s) => !contained.has(s.id)).map((s) => s.id);
}

/**
 * A run yields (suspends until now) after this long, so one alarm invocation never holds the object for
 * long: the next alarm goes on from the committed steps, and the platform's limit on an alarm's wall time
 * is never near.
 */
export const RUN_SLICE_MS = 60_000;

class Run {
  private readonly byId: Map<string, Step>;
  private readonly startedAt: number;

  constructor(
    private readonly env: Env,
    private readonly j: ExecutionJournal,
    private readonly def: WorkflowDefinition,
    private readonly runtime: ExecutionRuntime,
    private readonly leaves: LeafSteps,
  ) {
    this.byId = new Map(def.steps.map((s) => [s.id, s]));
    this.startedAt = j.now();
  }

  async main(): Promise<RunOutcome> {
    const scope: Scope = { vars: { input: this.j.input }, prefix: "" };
    const top = topLevelIds(this.def);
    try {
      await this.sequence(top, scope);
      const output: Record<string, unknown> = {};
      for (const s of this.def.steps) if (s.id in scope.vars) output[s.id] = scope.vars[s.id];
      return { kind: "completed", output };
    } catch (err) {
      if (err instanceof Suspend) return { kind: "suspended", wakeAt: err.wakeAt };
      if (err instanceof Failed) return { kind: "failed", error: err.error };
      if (err instanceof Stopped) return { kind: "stopped" };
      throw err;
    }
  }

  private stepOf(id: string): Step {
    const step = this.byId.get(id);
    if (!step) throw new Failed({ code: "definition_error", message: `unknown step '${id}'` });
    return step;
  }

  private async sequence(ids: string[], scope: Scope): Promise<void> {
    for (const id of ids) {
      if (scope.halted?.()) return;
      if (this.j.stopped()) throw new Stopped();
      const now = this.j.now();
      if (now - this.startedAt > RUN_SLICE_MS) throw new Suspend(now);
      await this.step(this.stepOf(id), scope);
    }
  }

  private skipAll(ids: string[], scope: Scope): void {
    for (const id of ids) {
      const step = this.stepOf(id);
      const key = scope.prefix + id;
      const rec = this.j.record(key);
      if (rec?.status === "completed") {
        scope.vars[id] = rec.output;
        continue;
      }
      this.j.skip(key, id, step.type);
      scope.vars[id] = null;
      if (step.type !== "loop") this.skipAll(childIds(step), scope);
    }
  }

  private async step(step: Step, scope: Scope): Promise<void> {
    const key = scope.prefix + step.id;
    const rec = this.j.record(key);
    if (rec?.status === "failed") throw new Failed(rec.error ?? { code: "failed", message: "failed" });
    if (rec?.status === "skipped") {
      scope.vars[step.id] = null;
      return;
    }
    const done = rec?.status === "completed";
    switch (step.type) {
      case "condition":
        return this.condition(step, key, scope, done ? rec.output : undefined);
      case "loop":
        if (done) return this.loopDone(step, scope, rec.output);
        return this.loop(step, key, scope);
      case "parallel":
        return this.parallel(step, key, scope, done);
      default:
        if (done) {
          scope.vars[step.id] = rec.output;
          return;
        }
    }
    switch (step.type) {
      case "transform":
        return this.leaf(step, key, scope, () => Promise.resolve(this.transform(step.output, scope.vars)));
      case "api_call":
        return this.leaf(step, key, scope, (attempt, signal) =>
          this.leaves.apiCall(this.env, step, this.call(key, attempt, scope, signal)),
        );
      case "agent_task":
        return this.leaf(step, key, scope, (attempt, signal) =>
          this.leaves.agentTask(this.env, step, this.call(key, attempt, scope, signal)),
        );
      case "wait":
        return this.wait(step, key, scope);
      case "sub_workflow":
        return this.subWorkflow(step, key, scope);
    }
  }

  private call(key: string, attempt: number, scope: Scope, signal: AbortSignal): LeafCall {
    const j = this.j;
    return { executionId: j.executionId, key, attempt, vars: scope.vars, signal, waitUntil: (w) => j.waitUntil(w) };
  }

  /** One attempt of a leaf step, with its timeout, and the retry policy when it fails. */
  private async leaf(
    step: Step,
    key: string,
    scope: Scope,
    run: (attempt: number, signal: AbortSignal) => Promise<unknown>,
  ): Promise<void> {
    const rec = this.j.record(key);
    const now = this.j.now();
    if (rec?.status === "retrying" && rec.nextAttemptAt !== null && rec.nextAttemptAt > now)
      throw new Suspend(rec.nextAttemptAt);
    const attempt = this.j.beginAttempt(key, step.id, step.type);
    let output: unknown;
    try {
      output = await withTimeout(step.timeout, this.j.signal, (signal) => run(attempt, signal));
    } catch (err) {
      if (this.j.signal.aborted) throw new Stopped();
      const error = toStepError(err);
      const retries = step.retry_attempts ?? this.j.retryAttempts;
      const retryable =
        !(err instanceof ExecError && !err.retryable) && !step.non_retryable_errors?.includes(error.code);
      if (!retryable || attempt > retries) {
        this.j.failStep(key, step.id, step.type, error);
        throw new Failed({ code: error.code, message: `step '${step.id}': ${error.message}` });
      }
      const at = this.j.now() + retryDelayMs(step, attempt);
      this.j.retryLater(key, error, at);
      throw new Suspend(at);
    }
    this.j.complete(key, step.id, step.type, output);
    scope.vars[step.id] = output;
  }

  private transform(value: Json, vars: Record<string, unknown>): Json {
    if (typeof value === "string") {
      const r = evaluateExpression(value, vars);
      if (!r.ok) throw new ExecError(r.code, `'${value}': ${r.message}`, false);
      return r.value;
    }
    if (Array.isArray(value)) return value.map((v) => this.transform(v, vars));
    if (value !== null && typeof value === "object")
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.transform(v, vars)]));
    return value;
  }

  private async condition(
    step: Extract<Step, { type: "condition" }>,
    key: string,
    scope: Scope,
    recorded: unknown,
  ): Promise<void> {
    let result: boolean;
    if (recorded !== undefined) result = (recorded as { result?: unknown }).result === true;
    else {
      const r = evaluateExpression(step.expression, scope.vars);
      if (!r.ok || typeof r.value !== "boolean") {
        const error = r.ok
          ? { code: "condition_not_boolean", message: `'${step.expression}' gave ${JSON.stringify(r.value)}` }
          : { code: r.code, message: r.message };
        this.j.failStep(key, step.id, step.type, error);
        throw new Failed({ code: error.code, message: `step '${step.id}': ${error.message}` });
      }
      result = r.value;
      this.j.complete(key, step.id, step.type, { result });
    }
    scope.vars[step.id] = { result };
    this.skipAll(result ? step.false_steps : step.true_steps, scope);
    await this.sequence(result ? step.true_steps : step.false_steps, scope);
  }

  private loopDone(step: Extract<Step, { type: "loop" }>, scope: Scope, output: unknown): void {
    scope.vars[step.id] = output;
    const results = (output as { results?: Record<string, unknown>[] } | null)?.results ?? [];
    const last = results[results.length - 1] ?? {};
    for (const id of step.steps) scope.vars[id] = last[id] ?? null;
  }

  private async loop(step: Extract<Step, { type: "loop" }>, key: string, scope: Scope): Promise<void> {
    if (!this.j.record(key)) this.j.beginAttempt(key, step.id, step.type);
    const fail = (code: string, message: string): never => {
      this.j.failStep(key, step.id, step.type, { code, message });
      throw new Failed({ code, message: `step '${step.id}': ${message}` });
    };
    const max = step.max_iterations ?? 1_000;
    let items: unknown[] | null = null;
    if (step.for_each !== undefined) {
      const r = evaluateExpression(step.for_each, scope.vars);
      if (!r.ok) return fail(r.code, r.message);
      if (!Array.isArray(r.value)) return fail("loop_not_a_list", `for_each gave ${JSON.stringify(r.value)}`);
      if (r.value.length > max)
        return fail("max_iterations_exceeded", `${r.value.length} items, more than max_iterations ${max}`);
      items = r.value;
    }
    const results: Record<string, unknown>[] = [];
    let exhausted = false;
    for (let i = 0; ; i++) {
      if (items !== null && i >= items.length) break;
      const last = results[results.length - 1] ?? {};
      const vars: Record<string, unknown> = { ...scope.vars, ...last, index: i };
      if (items !== null) vars.item = items[i];
      if (step.while !== undefined) {
        const r = evaluateExpression(step.while, vars);
        if (!r.ok) return fail(r.code, r.message);
        if (r.value !== true) break;
        if (i >= max) {
          exhausted = true;
          break;
        }
      }
      const body: Scope = { vars, prefix: `${key}[${i}]/` };
      await this.sequence(step.steps, body);
      results.push(Object.fromEntries(step.steps.map((id) => [id, body.vars[id] ?? null])));
    }
    const output = { iterations: results.length, results, ...(exhausted ? { exhausted: true } : {}) };
    this.j.complete(key, step.id, step.type, output);
    this.loopDone(step, scope, output);
  }

  private async parallel(
    step: Extract<Step, { type: "parallel" }>,
    key: string,
    scope: Scope,
    done: boolean,
  ): Promise<void> {
    if (!this.j.record(key)) this.j.beginAttempt(key, step.id, step.type);
    let winner: number | null = null;
    const branchDone = (ids: string[]) => ids.every((id) => this.j.record(scope.prefix + id)?.status === "completed");
    if (step.join === "any") winner = step.branches.findIndex(branchDone);
    if (winner === -1) winner = null;
    const settled = await Promise.allSettled(
      step.branches.map(async (ids, b) => {
        const branch: Scope = { ...scope, halted: () => winner !== null && winner !== b };
        if (done || (winner !== null && winner !== b)) return;
        await this.sequence(ids, branch);
        if (step.join === "any" && winner === null && branchDone(ids)) winner = b;
      }),
    );
    const errors = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as unknown] : []));
    for (const e of errors) if (!(e instanceof Suspend || e instanceof Failed || e instanceof Stopped)) throw e;
    if (errors.some((e) => e instanceof Stopped)) throw new Stopped();
    const failures = errors.filter((e): e is Failed => e instanceof Failed);
    if (step.join === "all" || winner === null) {
      if (failures.length > 0 && (step.join === "all" || failures.length === step.branches.length)) {
        const first = failures[0]?.error ?? { code: "failed", message: "a branch failed" };
        this.j.failStep(key, step.id, step.type, first);
        throw new Failed(first);
      }
      const waits = errors.filter((e): e is Suspend => e instanceof Suspend);
      if (waits.length > 0) throw new Suspend(waits.map((w) => w.wakeAt).reduce(earliest, null));
    }
    if (step.join === "any" && winner !== null) {
      step.branches.forEach((ids, b) => {
        if (b !== winner) this.skipAll(ids, scope);
      });
    }
    for (const ids of step.branches)
      for (const id of ids) {
        const rec = this.j.record(scope.prefix + id);
        scope.vars[id] = rec?.status === "completed" ? rec.output : null;
      }
    const output = step.join === "any" ? { join: "any", winner } : { join: "all", branches: step.branches.length };
    if (!done) this.j.complete(key, step.id, step.type, output);
    scope.vars[step.id] = output;
  }

  private wait(step: Extract<Step, { type: "wait" }>, key: string, scope: Scope): Promise<void> {
    if (step.until === ENTANGLEMENT_MESSAGE) return runEntanglementWait(this.env, this.j, step, key, scope);
    runWait(this.j, step, key, scope);
    return Promise.resolve();
  }

  private subWorkflow(step: Extract<Step, { type: "sub_workflow" }>, key: string, scope: Scope): Promise<void> {
    return runSubWorkflow({ env: this.env, j: this.j, runtime: this.runtime, leaves: this.leaves }, step, key, scope);
  }
}

/** Parses the pinned snapshot and runs it as far as it goes. */
export async function runExecution(
  env: Env,
  journal: ExecutionJournal,
  runtime: ExecutionRuntime,
  leaves: LeafSteps,
): Promise<RunOutcome> {
  const parsed = WorkflowDefinitionSchema.safeParse(journal.definition);
  if (!parsed.success)
    return { kind: "failed", error: { code: "definition_error", message: parsed.error.issues[0]?.message ?? "" } };
  return new Run(env, journal, parsed.data, runtime, leaves).main();
}
