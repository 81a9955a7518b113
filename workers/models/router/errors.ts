/**
 * How a routed request fails: every attempt failed or was skipped (502, with each attempt's fate), or the
 * request itself was refused by a provider (400, no fallback: another provider would refuse it too).
 */
import { AppError } from "../../platform/errors";
import type { AttemptRecord } from "./types";

/** Thrown by the executor when no attempt produced an answer. */
export class AllAttemptsFailed extends Error {
  override name = "AllAttemptsFailed";
  constructor(readonly attempts: AttemptRecord[]) {
    super(
      `all ${attempts.length} attempts failed${attempts.length ? `; last: ${describe(attempts[attempts.length - 1])}` : ""}`,
    );
  }
}

function describe(a: AttemptRecord | undefined): string {
  return a === undefined ? "none" : `${a.variant} (${a.provider}): ${a.status}: ${a.reason}`;
}

/** The public shape of one attempt in a 502 body. */
export function publicAttempts(attempts: readonly AttemptRecord[]) {
  return attempts.map(({ variant, provider, tier, status, reason }) => ({ variant, provider, tier, status, reason }));
}

/** The 502 the endpoints answer when every attempt failed. */
export function allAttemptsFailedError(err: AllAttemptsFailed): AppError {
  return new AppError(502, "all_attempts_failed", "every model provider failed or was unavailable", {
    attempts: publicAttempts(err.attempts),
  });
}

/**
 * A provider refused the request as the caller's fault (`bad_request`), or no remaining variant has a window
 * large enough for it (`context_length`). The provider's message is passed on: it says what to fix.
 */
export class InferenceRejected extends AppError {
  override name = "InferenceRejected";
  constructor(
    code: "bad_request" | "context_length_exceeded",
    message: string,
    readonly attempts: AttemptRecord[],
  ) {
    super(400, code, message, { attempts: publicAttempts(attempts) });
  }
}
