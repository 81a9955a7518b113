/**
 * The circuit breaker's state machine, as pure functions over a plain object with the clock passed in, so
 * the per-isolate cache and the BreakerBoard Durable Object run the very same rules:
 * - closed → open after `failureThreshold` consecutive failures;
 * - open → half_open once `timeoutMs` has passed since it opened;
 * - half_open admits at most `halfOpenRequests` probes at a time; that many probe successes → closed;
 *   any probe failure → open again, the timeout counting afresh.
 */
import type { BreakerPolicy } from "./policy";

export const BREAKER_STATES = ["closed", "open", "half_open"] as const;
export type BreakerStateName = (typeof BREAKER_STATES)[number];
export type Outcome = "success" | "failure";

export interface BreakerState {
  state: BreakerStateName;
  /** Consecutive failures while closed. */
  failures: number;
  /** When the breaker last opened (ms); the timeout counts from here. */
  openedAt: number | null;
  /** Half-open probes admitted and not yet reported back. */
  probes: number;
  /** Half-open probes that succeeded. */
  successes: number;
  /** When the latest probe was admitted: probes whose callers vanished are written off after a timeout. */
  probeAt: number | null;
}

export type Admission = { allowed: true; probe: boolean } | { allowed: false; retryAfterMs: number };

/** How soon a caller turned away by a full half-open breaker should look again. */
export const HALF_OPEN_RETRY_MS = 1000;

export function initialState(): BreakerState {
  return { state: "closed", failures: 0, openedAt: null, probes: 0, successes: 0, probeAt: null };
}

function opened(at: number): BreakerState {
  return { state: "open", failures: 0, openedAt: at, probes: 0, successes: 0, probeAt: null };
}

/** An open breaker whose timeout has run out is half-open; anything else is returned as it is. */
export function settle(s: BreakerState, policy: BreakerPolicy, now: number): BreakerState {
  if (s.state !== "open" || s.openedAt === null || now < s.openedAt + policy.timeoutMs) return s;
  return { state: "half_open", failures: 0, openedAt: s.openedAt, probes: 0, successes: 0, probeAt: null };
}

/** Decides whether one call may go ahead now, and returns the state with that call accounted for. */
export function admit(
  current: BreakerState,
  policy: BreakerPolicy,
  now: number,
): { state: BreakerState; admission: Admission } {
  let s = settle(current, policy, now);
  if (s.state === "closed") return { state: s, admission: { allowed: true, probe: false } };
  if (s.state === "open") {
    const retryAfterMs = Math.max(1, (s.openedAt ?? now) + policy.timeoutMs - now);
    return { state: s, admission: { allowed: false, retryAfterMs } };
  }
  // Probes already out (with the successes so far) can close it: no more are needed until they report.
  const full = (x: BreakerState) => x.probes > 0 && x.probes + x.successes >= policy.halfOpenRequests;
  // Slots held by probes that never reported (their caller died) are given back after a timeout.
  if (full(s) && s.probeAt !== null && now - s.probeAt >= policy.timeoutMs) s = { ...s, probes: 0 };
  if (full(s)) {
    return { state: s, admission: { allowed: false, retryAfterMs: Math.min(HALF_OPEN_RETRY_MS, policy.timeoutMs) } };
  }
  return { state: { ...s, probes: s.probes + 1, probeAt: now }, admission: { allowed: true, probe: true } };
}

/**
 * Applies one call's outcome. In open nothing changes: those are calls admitted before it opened. In
 * half_open, results of calls that started before the timeout ran out are ignored for the same reason.
 */
export function record(current: BreakerState, policy: BreakerPolicy, outcome: Outcome, at: number): BreakerState {
  const s = current;
  if (s.state === "open") return s;
  if (s.state === "closed") {
    if (outcome === "success") return s.failures === 0 ? s : { ...s, failures: 0 };
    const failures = s.failures + 1;
    return failures >= policy.failureThreshold ? opened(at) : { ...s, failures };
  }
  if (s.openedAt !== null && at < s.openedAt + policy.timeoutMs) return s;
  if (outcome === "failure") return opened(at);
  const successes = s.successes + 1;
  if (successes >= policy.halfOpenRequests) return initialState();
  return { ...s, probes: Math.max(0, s.probes - 1), successes };
}

/** True when going from `prev` to `next` opened the breaker (from closed, or again from half_open). */
export function justOpened(prev: BreakerState, next: BreakerState): boolean {
  return next.state === "open" && next.openedAt !== prev.openedAt;
}
