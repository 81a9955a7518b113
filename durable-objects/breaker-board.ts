/**
 * BreakerBoard: the one Durable Object (`default`) where every isolate's circuit breaker outcomes meet. It
 * applies reported outcomes with the same state machine the isolates run, stores each component's state in
 * SQLite, and answers with all states so isolates converge. A breaker opening is announced as an ERROR
 * event through the transactional outbox (written in the transaction that opens it, sent by the alarm)
 * and counted in `jimbot_error_rate_total`. Probes in flight are per isolate; the board counts outcomes.
 */
import { DurableObject } from "cloudflare:workers";
import {
  type BreakerBoardContract,
  type ComponentState,
  type OutcomeReport,
  reportSchema,
} from "../workers/platform/breaker/board";
import { policyFor } from "../workers/platform/breaker/policy";
import {
  type BreakerState,
  type BreakerStateName,
  initialState,
  justOpened,
  record,
  settle,
} from "../workers/platform/breaker/state-machine";
import { errorEvent } from "../workers/platform/bus/error-event";
import { Outbox } from "../workers/platform/bus/outbox";
import { publish } from "../workers/platform/bus/publish";
import { DueWork } from "../workers/platform/durable/due-work";
import type { Env } from "../workers/platform/env";
import { fail, type Result } from "../workers/platform/errors";
import { errorRate } from "../workers/platform/metrics/catalog";
import { increment, metricsFlushWork } from "../workers/platform/metrics/recorder";

const SOURCE = "circuit_breaker";
/** Outcomes stamped further ahead than this are clamped: a skewed clock must not hold a breaker open. */
const MAX_CLOCK_SKEW_MS = 60_000;
/** Healthy components nobody has reported on for this long are forgotten. */
const IDLE_ROW_MS = 7 * 24 * 3600_000;

const SCHEMA = `CREATE TABLE IF NOT EXISTS breakers (
  component TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  failures INTEGER NOT NULL,
  opened_at INTEGER,
  probes INTEGER NOT NULL,
  successes INTEGER NOT NULL,
  probe_at INTEGER,
  updated_at INTEGER NOT NULL
)`;

type Row = {
  component: string;
  state: string;
  failures: number;
  opened_at: number | null;
  probes: number;
  successes: number;
  probe_at: number | null;
};

function toState(row: Row): BreakerState {
  const state: BreakerStateName = row.state === "open" || row.state === "half_open" ? row.state : "closed";
  return {
    state,
    failures: row.failures,
    openedAt: row.opened_at,
    probes: row.probes,
    successes: row.successes,
    probeAt: row.probe_at,
  };
}

interface Opening {
  component: string;
  from: BreakerStateName;
  at: number;
  timeoutMs: number;
  error: string | undefined;
}

export class BreakerBoard extends DurableObject<Env> implements BreakerBoardContract {
  /** The board's clock; tests replace it to move time instead of waiting. */
  clock: () => number = () => Date.now();
  private readonly sql: SqlStorage;
  private readonly outbox: Outbox;
  private readonly due;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
    this.outbox = new Outbox(this.sql, (events) => publish(env, events));
    this.due = new DueWork(ctx, {
      clock: () => this.clock(),
      work: {
        outbox: this.outbox,
        // Rides along with whatever else wakes the board; idle rows are harmless until then.
        pruneIdle: {
          nextDueAt: () => null,
          run: (now: number) => {
            this.sql.exec(
              "DELETE FROM breakers WHERE state = 'closed' AND failures = 0 AND updated_at < ?",
              now - IDLE_ROW_MS,
            );
          },
        },
        // The error-rate counts sit in this isolate's buffer; a Durable Object has no request to flush them.
        metrics: metricsFlushWork(env),
      },
    });
  }

  /** Applies outcomes (oldest first) and returns every component's state as of now. */
  async report(outcomes: readonly OutcomeReport[]): Promise<Result<{ states: ComponentState[] }>> {
    const parsed = reportSchema.safeParse(outcomes);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail(400, "invalid_input", `outcomes.${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
    }
    const now = this.clock();
    const sorted = parsed.data
      .map((o) => ({ ...o, at: Math.min(o.at, now + MAX_CLOCK_SKEW_MS) }))
      .sort((a, b) => a.at - b.at);
    const openings = this.ctx.storage.transactionSync(() => this.apply(sorted, now));
    for (const o of openings)
      increment(errorRate, { component: o.component, severity: "ERROR", error_type: "circuit_open" });
    if (openings.length > 0) await this.due.arm();
    return { ok: true, states: this.states() };
  }

  /** Every component's state, an open breaker past its timeout shown as half_open. */
  states(): ComponentState[] {
    const now = this.clock();
    return this.sql
      .exec<Row>("SELECT * FROM breakers ORDER BY component")
      .toArray()
      .map((row) => ({ component: row.component, ...settle(toState(row), policyFor(this.env, row.component), now) }));
  }

  /** Sends pending ERROR events and prunes idle rows (the cron tick may call it too). */
  async tick(): Promise<{ sent: number }> {
    const done = await this.due.tick();
    return { sent: done.outbox.sent };
  }

  override async alarm(): Promise<void> {
    await this.due.alarm();
  }

  private apply(outcomes: readonly OutcomeReport[], now: number): Opening[] {
    const touched = new Map<string, BreakerState>();
    const openings: Opening[] = [];
    for (const o of outcomes) {
      const policy = policyFor(this.env, o.component);
      const prev = touched.get(o.component) ?? this.load(o.component);
      // The board never sees admissions: an outcome after the timeout is a probe's.
      const next = record(settle(prev, policy, o.at), policy, o.outcome, o.at);
      if (justOpened(prev, next)) {
        const opening = {
          component: o.component,
          from: settle(prev, policy, o.at).state,
          at: o.at,
          timeoutMs: policy.timeoutMs,
          error: o.error,
        };
        openings.push(opening);
        this.outbox.add(this.openedEvent(opening, policy.failureThreshold));
      }
      touched.set(o.component, next);
    }
    for (const [component, s] of touched) {
      this.sql.exec(
        "INSERT INTO breakers (component, state, failures, opened_at, probes, successes, probe_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) " +
          "ON CONFLICT(component) DO UPDATE SET state = excluded.state, failures = excluded.failures, opened_at = excluded.opened_at, probes = excluded.probes, successes = excluded.successes, probe_at = excluded.probe_at, updated_at = excluded.updated_at",
        component,
        s.state,
        s.failures,
        s.openedAt,
        s.probes,
        s.successes,
        s.probeAt,
        now,
      );
    }
    return openings;
  }

  private load(component: string): BreakerState {
    const row = this.sql.exec<Row>("SELECT * FROM breakers WHERE component = ?", component).toArray()[0];
    return row ? toState(row) : initialState();
  }

  private openedEvent(o: Opening, threshold: number) {
    const why = o.from === "half_open" ? "a half-open probe failed" : `${threshold} consecutive failures`;
    const context: Record<string, string> = {
      breaker_component: o.component,
      from_state: o.from,
      timeout_ms: String(o.timeoutMs),
    };
    if (o.error) context.last_error = o.error;
    return errorEvent({
      sourceComponent: SOURCE,
      severity: "ERROR",
      errorType: "circuit_open",
      suggestedAction: "CIRCUIT_BREAK",
      affectedComponents: [o.component],
      message: `circuit breaker '${o.component}' opened (${why}); calls refused for ${o.timeoutMs / 1000}s${o.error ? `: ${o.error}` : ""}`,
      context,
      now: o.at,
    });
  }
}
