/**
 * The circuit breaker callers use: `breaker(env, "bus.handler.botz.register", ctx.waitUntil)`, then
 * `check()` before the call and `success()` / `failure(err)` after it (or `run(fn)` for all three).
 *
 * Each isolate keeps every component's state in a module-level map, so `check` is a pure computation with
 * no I/O. Outcomes that matter (failures, and the first success after them) are batched and reported to the
 * BreakerBoard Durable Object from the caller's `defer` (i.e. `ctx.waitUntil`), and the board's answer —
 * every component's state, all isolates' outcomes applied — replaces the local view, with this isolate's
 * not-yet-reported outcomes replayed on top. While calls keep coming, an isolate also refreshes from the
 * board at most once a second.
 *
 * Consistency bound: an isolate learns that another opened a breaker within about a second (the refresh
 * interval plus one RPC); until then it may let a few more calls through to a failing component, which
 * fail and count towards the same global total. Half-open probes are limited per isolate, so for that
 * window up to (isolates × half_open_requests) probes may run at once. A success in a healthy breaker is
 * not reported, so a failure reported elsewhere may be reset up to a second later than a strict global
 * count would.
 */
import type { Env } from "../env";
import { createLogger } from "../logger";
import { type ComponentState, type OutcomeReport, breakerBoard, MAX_REPORT } from "./board";
import { type BreakerPolicy, type BreakerVars, policyFor } from "./policy";
import {
  type Admission,
  type BreakerState,
  type BreakerStateName,
  admit,
  initialState,
  record,
  settle,
} from "./state-machine";

export type { Admission, BreakerStateName } from "./state-machine";
export type Defer = (p: Promise<unknown>) => void;
export interface BreakerEnv extends BreakerVars, Pick<Env, "BREAKERS"> {}

/** How long failures wait for company before one report carries them all. */
const REPORT_DELAY_MS = 100;
/** At most one refresh from the board per isolate in this interval (while calls keep coming). */
export const REFRESH_INTERVAL_MS = 1000;
/** A scheduled sync not finished after this long is presumed lost (its request died) and may be redone. */
const SYNC_STALE_MS = 10_000;
/** Outcomes kept while the board is unreachable; the oldest go first. */
const MAX_PENDING = 2000;
const MAX_ERROR_CHARS = 500;
/** Cloudflare Queues accept delays up to 12 hours. */
const MAX_QUEUE_DELAY_S = 43_200;

const cells = new Map<string, BreakerState>();
let pending: OutcomeReport[] = [];
let syncingSince: number | null = null;
let lastSyncAt = Number.NEGATIVE_INFINITY;

/** Thrown by `run` when the breaker refuses the call. */
export class CircuitOpenError extends Error {
  override name = "CircuitOpenError";
  constructor(
    readonly component: string,
    readonly retryAfterMs: number,
  ) {
    super(`circuit breaker '${component}' is open; retry in ${retryAfterMs} ms`);
  }
}

export interface RunOptions {
  /** Which errors count against the component; others (e.g. the caller's bad input) count as answers. */
  isFailure?: (err: unknown) => boolean;
}

export interface Breaker {
  readonly component: string;
  readonly policy: BreakerPolicy;
  /** May a call go ahead now? No I/O; `probe` marks a half-open trial call. */
  check(now?: number): Admission;
  success(now?: number): void;
  failure(error?: unknown, now?: number): void;
  /** The state this isolate currently sees. */
  state(now?: number): BreakerStateName;
  /** check → fn → success/failure; throws CircuitOpenError when refused. */
  run<T>(fn: () => Promise<T>, options?: RunOptions): Promise<T>;
}

function messageOf(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a thrown non-Error shows as JS prints it
  const text = error instanceof Error ? error.message : String(error);
  return text.slice(0, MAX_ERROR_CHARS);
}

/**
 * Replaces local states with the board's, then replays this isolate's outcomes the board has not seen yet.
 * Probes in flight are this isolate's own knowledge, so they survive when both sides are in the same
 * half-open period.
 */
function adopt(states: readonly ComponentState[], vars: BreakerVars): void {
  for (const { component, ...remote } of states) {
    const local = cells.get(component);
    const policy = policyFor(vars, component);
    let s: BreakerState = { ...remote, probes: 0, probeAt: null };
    for (const o of pending) if (o.component === component) s = record(s, policy, o.outcome, o.at);
    if (local?.state === "half_open" && s.state === "half_open" && local.openedAt === s.openedAt)
      s = { ...s, probes: local.probes, probeAt: local.probeAt };
    cells.set(component, s);
  }
}

/** One report round trip; false when the board could not be reached (the batch is kept for later). */
async function syncOnce(env: BreakerEnv): Promise<boolean> {
  const batch = pending.slice(0, MAX_REPORT);
  pending = pending.slice(batch.length);
  try {
    const result = await breakerBoard(env).report(batch);
    if (!result.ok) {
      // Rejected input will not become valid by resending it.
      createLogger("circuit_breaker", env.LOG_LEVEL).error("breaker board rejected a report", {
        code: result.code,
        message: result.message,
      });
      return true;
    }
    adopt(result.states, env);
    return true;
  } catch (err) {
    pending = batch.concat(pending).slice(-MAX_PENDING);
    createLogger("circuit_breaker", env.LOG_LEVEL).warn("breaker board unreachable; local state in force", {
      error: messageOf(err),
    });
    return false;
  }
}

async function runSync(env: BreakerEnv, delayMs: number): Promise<void> {
  try {
    // Even with no delay, yield first: the caller's check() must return before any I/O starts.
    await scheduler.wait(delayMs);
    // Outcomes recorded while a report was in flight go in the next one, still under this `defer`.
    for (let round = 0; round < 4; round++) {
      if (!(await syncOnce(env)) || pending.length === 0) break;
    }
  } finally {
    syncingSince = null;
  }
}

function scheduleSync(env: BreakerEnv, defer: Defer, now: number, delayMs: number): void {
  if (syncingSince !== null && now - syncingSince < SYNC_STALE_MS) return;
  syncingSince = now;
  lastSyncAt = now;
  defer(runSync(env, delayMs));
}

/** The breaker for one component (a bus handler, a model provider, …). Cheap: create one per call. */
export function breaker(env: BreakerEnv, component: string, defer: Defer): Breaker {
  const policy = policyFor(env, component);
  const get = () => cells.get(component) ?? initialState();

  function note(outcome: OutcomeReport, now: number): void {
    pending.push(outcome);
    if (pending.length > MAX_PENDING) pending = pending.slice(-MAX_PENDING);
    scheduleSync(env, defer, now, REPORT_DELAY_MS);
  }

  const b: Breaker = {
    component,
    policy,
    check(now = Date.now()) {
      const { state, admission } = admit(get(), policy, now);
      cells.set(component, state);
      if (now - lastSyncAt >= REFRESH_INTERVAL_MS) scheduleSync(env, defer, now, 0);
      return admission;
    },
    success(now = Date.now()) {
      const prev = get();
      cells.set(component, record(prev, policy, "success", now));
      // A success in a healthy breaker changes nothing anywhere: keeping it local keeps the hot path I/O-free.
      if (prev.state === "closed" && prev.failures === 0) return;
      note({ component, outcome: "success", at: now }, now);
    },
    failure(error?: unknown, now = Date.now()) {
      cells.set(component, record(get(), policy, "failure", now));
      const message = messageOf(error);
      note(
        message === undefined
          ? { component, outcome: "failure", at: now }
          : { component, outcome: "failure", at: now, error: message },
        now,
      );
    },
    state(now = Date.now()) {
      return settle(get(), policy, now).state;
    },
    async run<T>(fn: () => Promise<T>, options: RunOptions = {}): Promise<T> {
      const admission = b.check();
      if (!admission.allowed) throw new CircuitOpenError(component, admission.retryAfterMs);
      let value: T;
      try {
        value = await fn();
      } catch (err) {
        if (options.isFailure?.(err) ?? true) b.failure(err);
        else b.success();
        throw err;
      }
      b.success();
      return value;
    },
  };
  return b;
}

/**
 * The delay for re-sending a message whose handler's breaker is open: the time left on the breaker, in
 * whole seconds (what `Queue.send({ delaySeconds })` takes), plus up to 20% jitter so parked messages do
 * not all return in the same instant and crowd the half-open probes.
 */
export function retryDelaySeconds(retryAfterMs: number, random: () => number = Math.random): number {
  const seconds = Math.ceil((Math.max(0, retryAfterMs) / 1000) * (1 + 0.2 * random()));
  return Math.min(MAX_QUEUE_DELAY_S, Math.max(1, seconds));
}

/** Reports pending outcomes and refreshes from the board now, awaiting it (cron tick, tests). */
export async function syncBreakers(env: BreakerEnv, now = Date.now()): Promise<void> {
  lastSyncAt = now;
  await syncOnce(env);
}

/** Test-only: forgets this isolate's breaker states, as a fresh isolate would start. */
export function resetBreakerCache(): void {
  cells.clear();
  pending = [];
  syncingSince = null;
  lastSyncAt = Number.NEGATIVE_INFINITY;
}
