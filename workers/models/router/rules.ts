/**
 * The fallback rules by failure kind, retry backoff, and the abort plumbing every try uses. Providers have
 * already classified each failure (`ProviderError.kind`), so nothing here looks at status codes or bodies.
 */
import { type FailureKind, ProviderError } from "../types";

/** Kinds worth another try of the same variant; every other kind moves on (or stops) at once. */
const RETRYABLE: ReadonlySet<FailureKind> = new Set([
  "network",
  "timeout",
  "rate_limited",
  "overloaded",
  "server",
  "stream",
]);

export function isRetryable(kind: FailureKind): boolean {
  return RETRYABLE.has(kind);
}

/**
 * What a failure means to the provider's circuit breaker. Its own bad answers count; the caller's bad input
 * is an answer (the provider is up); wrong credentials, spent quota and an offline edge device have their
 * own, longer skips, so they neither open nor close the breaker.
 */
export function breakerOutcome(kind: FailureKind): "failure" | "success" | "none" {
  if (RETRYABLE.has(kind)) return "failure";
  if (kind === "bad_request" || kind === "context_length") return "success";
  return "none";
}

const BACKOFF_BASE_MS = 100;

/**
 * How long to wait before retry number `retry` (0-based), or null to give up on this variant now: truncated
 * exponential backoff with full jitter, capped by `max_delay_s`. A `Retry-After` is honoured exactly when it
 * fits both `max_delay_s` and the time left; one that does not fit means "not soon": fall back instead.
 */
export function retryDelayMs(
  err: ProviderError,
  retry: number,
  maxDelayS: number,
  remainingMs: number,
  random: () => number,
): number | null {
  const cap = maxDelayS * 1000;
  if (err.retryAfterMs !== undefined)
    return err.retryAfterMs <= cap && err.retryAfterMs < remainingMs ? err.retryAfterMs : null;
  const delay = Math.floor(random() * Math.min(cap, BACKOFF_BASE_MS * 2 ** retry));
  return delay < remainingMs ? delay : null;
}

/** Anything a provider threw, as a classified failure: an abort is the router's timeout (its reason says which). */
export function asProviderError(err: unknown, provider: string, signal?: AbortSignal): ProviderError {
  if (err instanceof ProviderError) return err;
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof ProviderError ? reason : new ProviderError("timeout", `${provider}: aborted`);
  }
  // A provider bug, not a classified upstream failure: treat it like a 5xx so other tiers can still answer.
  return new ProviderError("server", `${provider}: ${err instanceof Error ? err.message : String(err)}`);
}

/** Settles with `promise`, or rejects with the signal's reason as soon as it aborts (a provider may ignore it). */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/** A controller that aborts with a `timeout` ProviderError after `ms`, and whenever `parent` aborts. */
export function timedController(
  provider: string,
  ms: number,
  what: string,
  parent?: AbortSignal,
): { controller: AbortController; clear: () => void; rearm: (ms: number, what: string) => void } {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (after: number, label: string) => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(
      () => controller.abort(new ProviderError("timeout", `${provider}: ${label} of ${after} ms exceeded`)),
      Math.max(0, after),
    );
  };
  arm(ms, what);
  const onParent = () => controller.abort(new ProviderError("timeout", `${provider}: the client went away`));
  if (parent?.aborted) onParent();
  else parent?.addEventListener("abort", onParent, { once: true });
  return {
    controller,
    rearm: arm,
    clear: () => {
      if (timer !== undefined) clearTimeout(timer);
      parent?.removeEventListener("abort", onParent);
    },
  };
}

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
