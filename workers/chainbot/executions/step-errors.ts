/**
 * How a step attempt fails and when it is tried again: typed errors (a code, and whether another attempt
 * can help), the per-attempt timeout, and the retry delay (`retry_delay`, `backoff`, `max_retry_delay`).
 */
import type { StepError } from "../../../durable-objects/workflow-execution-contract";
import type { Step } from "../workflows/definition-schema";

export class ExecError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** false: the step fails at once, whatever its retry_attempts (a 4xx, a bad template). */
    readonly retryable = true,
  ) {
    super(message);
    this.name = "ExecError";
  }
}

export function toStepError(err: unknown): StepError {
  if (err instanceof ExecError) return { code: err.code, message: err.message };
  return { code: "step_error", message: err instanceof Error ? err.message : String(err) };
}

/** Milliseconds before attempt `attempt + 1`: 1 s by default, doubling (exponential), capped. */
export function retryDelayMs(step: Step, attempt: number): number {
  const base = (step.retry_delay ?? 1) * 1000;
  const backoff = step.backoff ?? "exponential";
  const delay = backoff === "constant" ? base : backoff === "linear" ? base * attempt : base * 2 ** (attempt - 1);
  const cap = step.max_retry_delay === undefined ? 3_600_000 : step.max_retry_delay * 1000;
  return Math.min(delay, cap);
}

/**
 * Runs one attempt with its own abort signal, which fires when the execution is stopped or when `seconds`
 * pass (then the attempt fails with `step_timeout`, a retryable error).
 */
export async function withTimeout<T>(
  seconds: number | undefined,
  outer: AbortSignal,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onOuter = () => controller.abort(outer.reason);
  outer.addEventListener("abort", onOuter);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    if (seconds === undefined) return;
    timer = setTimeout(() => {
      const err = new ExecError("step_timeout", `no result within ${seconds} s`);
      controller.abort(err);
      reject(err);
    }, seconds * 1000);
  });
  const stopped = new Promise<never>((_, reject) => {
    controller.signal.addEventListener("abort", () => reject(toAbortError(controller.signal.reason)));
  });
  try {
    return await Promise.race([run(controller.signal), timedOut, stopped]);
  } finally {
    clearTimeout(timer);
    outer.removeEventListener("abort", onOuter);
  }
}

function toAbortError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
