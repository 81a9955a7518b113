/**
 * ResourceCoordinator: one Durable Object per ecosystem that leases shared budgets (seed 002: GPU compute,
 * memory, Claude API tokens). Requests are served by effective priority (priority plus aging, so nothing
 * starves), FIFO within one; a request that cannot be served waits in a SQLite queue, and its caller waits
 * in memory for a while. Grants expire by alarm. Every grant, release and expiry is announced on the bus
 * through the transactional outbox, which is how a caller that already got 202 learns of its later grant.
 */
import { DurableObject } from "cloudflare:workers";
import { readConfig, type ResourceSettings } from "../workers/platform/config";
import type {
  Grant,
  RequestOutcome,
  RequestView,
  ResourceRequestInput,
  ResourceStatus,
  ResourceType,
  Waiter,
} from "./resource-coordinator-model";
import { priorityRank, RESOURCE_TYPES } from "./resource-coordinator-model";
import { createEvent } from "../workers/platform/bus/envelope";
import { Outbox } from "../workers/platform/bus/outbox";
import { publish } from "../workers/platform/bus/publish";
import { DueWork } from "../workers/platform/durable/due-work";
import type { Env } from "../workers/platform/env";
import { fail, type Result } from "../workers/platform/errors";
import { metricsFlushWork } from "../workers/platform/metrics/recorder";
import type { WaitingRow } from "./resource-coordinator-store";
import {
  grantedAmount,
  grantRow,
  nextDeadline,
  prune,
  requestRow,
  SCHEMA,
  toGrant,
  toRequestView,
  toWaiter,
  waitingQueue,
} from "./resource-coordinator-store";

const SOURCE = "resource-coordinator";
/** Ended grants and finished requests stay readable this long, then the alarm prunes them. */
const HISTORY_MS = 7 * 24 * 3600_000;

export class ResourceCoordinator extends DurableObject<Env> {
  /** The coordinator's clock; tests replace it to move time instead of waiting. */
  clock: () => number = () => Date.now();
  private readonly sql: SqlStorage;
  private readonly outbox: Outbox;
  private readonly settings: ResourceSettings;
  private readonly due;
  /** Callers still inside `request`, by request id. Memory only: after eviction they have their 202. */
  private readonly callers = new Map<string, () => void>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    for (const statement of SCHEMA) this.sql.exec(statement);
    this.outbox = new Outbox(this.sql, (events) => publish(env, events));
    this.settings = readConfig(env).resources;
    this.due = new DueWork(ctx, {
      clock: () => this.clock(),
      work: {
        // Expiries, over-long waits and the queues, then pruning of old history.
        settle: {
          nextDueAt: () => nextDeadline(this.sql, this.settings.maxWaitMs),
          run: (now: number) => {
            this.wake(
              this.ctx.storage.transactionSync(() => {
                prune(this.sql, now - HISTORY_MS);
                return this.settle(now);
              }),
            );
          },
        },
        outbox: this.outbox,
        // The flush counted bus messages in this isolate; a Durable Object has no request to ride along with.
        metrics: metricsFlushWork(env),
      },
    });
  }

  /**
   * Grants at once when capacity allows and nobody of at least the same effective priority waits ahead;
   * otherwise queues the request and waits up to `timeoutMs` for a release or expiry to grant it.
   */
  async request(input: ResourceRequestInput, timeoutMs: number, traceparent?: string): Promise<Result<RequestOutcome>> {
    const now = this.clock();
    const capacity = this.settings.capacities[input.type];
    if (input.amount > capacity) {
      return fail(422, "exceeds_capacity", `${input.type} amount ${input.amount} exceeds the capacity of ${capacity}`, {
        type: input.type,
        amount: input.amount,
        capacity,
      });
    }
    const requestId = crypto.randomUUID();
    const notify = this.ctx.storage.transactionSync(() => {
      const settled = this.settle(now);
      this.sql.exec(
        "INSERT INTO requests (request_id, component, type, amount, duration_ms, priority, priority_rank, requested_at, status, traceparent, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?)",
        requestId,
        input.component,
        input.type,
        input.amount,
        input.duration_ms,
        input.priority,
        priorityRank(input.priority),
        now,
        traceparent ?? null,
        now,
      );
      this.due.dueBy(now + this.settings.maxWaitMs);
      return [...settled, ...this.drain(input.type, now)];
    });
    // The caller registers before any await, so no release can slip in between and grant it unseen.
    const outcome =
      notify.includes(requestId) || timeoutMs <= 0
        ? Promise.resolve(this.outcomeOf(requestId))
        : this.waitFor(requestId, timeoutMs);
    await this.afterChange(notify);
    return outcome;
  }

  async release(grantId: string, traceparent?: string): Promise<Result<{ grant: Grant }>> {
    const now = this.clock();
    const { result, notify } = this.ctx.storage.transactionSync(() => {
      const notify = this.settle(now);
      const row = grantRow(this.sql, grantId);
      if (!row) return { result: fail(404, "grant_not_found", `no grant '${grantId}'`), notify };
      if (row.released_at !== null) {
        const grant = toGrant(row);
        return {
          result: fail(409, `grant_${grant.status}`, `grant '${grantId}' is already ${grant.status}`, { grant }),
          notify,
        };
      }
      this.sql.exec("UPDATE grants SET released_at = ?, end_reason = 'released' WHERE grant_id = ?", now, grantId);
      const grant = toGrant(grantRow(this.sql, grantId) ?? row);
      this.announce("resources.released.v1", grant, now, traceparent);
      notify.push(...this.drain(grant.type, now));
      return { result: { ok: true as const, grant }, notify };
    });
    await this.afterChange(notify);
    return result;
  }

  /** Withdraws a waiting request; a granted one is ended by releasing its grant instead. */
  async cancel(requestId: string, traceparent?: string): Promise<Result<{ request: RequestView }>> {
    const now = this.clock();
    const { result, notify } = this.ctx.storage.transactionSync(() => {
      const notify = this.settle(now);
      const row = requestRow(this.sql, requestId);
      if (!row) return { result: fail(404, "request_not_found", `no resource request '${requestId}'`), notify };
      if (row.status !== "waiting") {
        return {
          result: fail(
            409,
            `request_${String(row.status)}`,
            `request '${requestId}' is ${String(row.status)}, not waiting`,
            { grant_id: row.grant_id },
          ),
          notify,
        };
      }
      this.sql.exec("UPDATE requests SET status = 'cancelled', updated_at = ? WHERE request_id = ?", now, requestId);
      const request = this.view(requestId, now);
      this.announce("resources.request.cancelled.v1", request, now, traceparent);
      // The cancelled request may have been the head that blocked the rest of its queue.
      notify.push(requestId, ...this.drain(row.type as ResourceType, now));
      return { result: { ok: true as const, request }, notify };
    });
    await this.afterChange(notify);
    return result;
  }

  async getRequest(requestId: string): Promise<Result<{ request: RequestView }>> {
    const now = await this.settleNow();
    return requestRow(this.sql, requestId)
      ? { ok: true, request: this.view(requestId, now) }
      : fail(404, "request_not_found", `no resource request '${requestId}'`);
  }

  async status(): Promise<ResourceStatus> {
    const now = await this.settleNow();
    const grants = this.sql
      .exec("SELECT * FROM grants WHERE released_at IS NULL ORDER BY type, granted_at, grant_id")
      .toArray()
      .map(toGrant);
    const waiters: Waiter[] = [];
    const resources = RESOURCE_TYPES.map((type) => {
      const queue = waitingQueue(this.sql, type, now, this.settings.agingMs);
      queue.forEach((w, i) => waiters.push(toWaiter(w, i + 1)));
      const capacity = this.settings.capacities[type];
      const granted = grantedAmount(this.sql, type);
      return { type, capacity, granted, available: Math.max(0, capacity - granted), waiting: queue.length };
    });
    return { resources, grants, waiters, generated_at: new Date(now).toISOString() };
  }

  /** Runs the periodic work now: expiries, the queue, the outbox, pruning. */
  async tick(): Promise<{ sent: number }> {
    const done = await this.due.tick();
    return { sent: done.outbox.sent };
  }

  override async alarm(): Promise<void> {
    await this.due.alarm();
  }

  /** Expires due grants and over-long waits, then serves every queue; returns the requests whose state moved. */
  private settle(now: number): string[] {
    const moved: string[] = [];
    for (const row of this.sql
      .exec("SELECT * FROM grants WHERE released_at IS NULL AND expires_at <= ?", now)
      .toArray()) {
      this.sql.exec("UPDATE grants SET released_at = ?, end_reason = 'expired' WHERE grant_id = ?", now, row.grant_id);
      this.announce("resources.expired.v1", toGrant({ ...row, released_at: now, end_reason: "expired" }), now);
    }
    const overdue = this.sql
      .exec<{ request_id: string }>(
        "SELECT request_id FROM requests WHERE status = 'waiting' AND requested_at <= ?",
        now - this.settings.maxWaitMs,
      )
      .toArray();
    for (const { request_id } of overdue) this.expireRequest(request_id, now, "waited longer than the maximum wait");
    moved.push(...overdue.map((r) => r.request_id));
    for (const type of RESOURCE_TYPES) moved.push(...this.drain(type, now));
    return moved;
  }

  /** Grants one type's waiters in queue order while they fit; the first that does not fit holds the rest back. */
  private drain(type: ResourceType, now: number): string[] {
    const capacity = this.settings.capacities[type];
    let available = capacity - grantedAmount(this.sql, type);
    const granted: string[] = [];
    for (const w of waitingQueue(this.sql, type, now, this.settings.agingMs)) {
      if (w.amount > capacity) {
        // Capacity was lowered after this request queued: it could never be served.
        this.expireRequest(w.request_id, now, `amount exceeds the current capacity of ${capacity}`);
        granted.push(w.request_id);
        continue;
      }
      if (w.amount > available) break;
      this.grant(w, now);
      available -= w.amount;
      granted.push(w.request_id);
    }
    return granted;
  }

  private grant(w: WaitingRow, now: number): void {
    const grantId = crypto.randomUUID();
    this.sql.exec(
      "INSERT INTO grants (grant_id, request_id, component, type, amount, priority, granted_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      grantId,
      w.request_id,
      w.component,
      w.type,
      w.amount,
      w.priority,
      now,
      now + w.duration_ms,
    );
    this.due.dueBy(now + w.duration_ms);
    this.sql.exec(
      "UPDATE requests SET status = 'granted', grant_id = ?, updated_at = ? WHERE request_id = ?",
      grantId,
      now,
      w.request_id,
    );
    const row = grantRow(this.sql, grantId);
    if (row) this.announce("resources.granted.v1", toGrant(row), now, w.traceparent ?? undefined);
  }

  private expireRequest(requestId: string, now: number, reason: string): void {
    this.sql.exec("UPDATE requests SET status = 'expired', updated_at = ? WHERE request_id = ?", now, requestId);
    this.announce("resources.request.expired.v1", { ...this.view(requestId, now), reason }, now);
  }

  /** Adds a resource event to the outbox; one request's events share its id as their correlation id. */
  private announce(
    type: string,
    payload: Grant | (RequestView & { reason?: string }),
    now: number,
    traceparent?: string,
  ): void {
    this.outbox.add(
      createEvent({ type, source: SOURCE, payload, correlationId: payload.request_id, traceparent, now }),
    );
  }

  private view(requestId: string, now: number): RequestView {
    const row = requestRow(this.sql, requestId);
    if (!row) throw new Error(`request ${requestId} vanished inside its own transaction`);
    const grantId = row.grant_id;
    const grant = typeof grantId === "string" ? grantRow(this.sql, grantId) : undefined;
    let waiter: Waiter | null = null;
    if (row.status === "waiting") {
      const queue = waitingQueue(this.sql, row.type as ResourceType, now, this.settings.agingMs);
      const at = queue.findIndex((w) => w.request_id === requestId);
      const w = queue[at];
      if (w) waiter = toWaiter(w, at + 1);
    }
    return toRequestView(row, grant ? toGrant(grant) : null, waiter);
  }

  /** What a caller of `request` is told: its grant, its place in the queue, or why it ended. */
  private outcomeOf(requestId: string): Result<RequestOutcome> {
    const view = this.view(requestId, this.clock());
    if (view.status === "granted" && view.grant) return { ok: true, outcome: "granted", grant: view.grant };
    if (view.status === "waiting")
      return { ok: true, outcome: "waiting", request_id: requestId, position: view.position ?? 0 };
    return fail(409, `request_${view.status}`, `request '${requestId}' was ${view.status} before it was granted`, {
      request_id: requestId,
    });
  }

  private waitFor(requestId: string, timeoutMs: number): Promise<Result<RequestOutcome>> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.callers.delete(requestId);
        resolve(this.outcomeOf(requestId));
      };
      const timer = setTimeout(done, timeoutMs);
      this.callers.set(requestId, done);
    });
  }

  private wake(requestIds: readonly string[]): void {
    for (const id of requestIds) this.callers.get(id)?.();
  }

  private async settleNow(): Promise<number> {
    const now = this.clock();
    const notify = this.ctx.storage.transactionSync(() => this.settle(now));
    await this.afterChange(notify);
    return now;
  }

  /** Wakes the callers whose request moved; arms the alarm for what the change made due (no query). */
  private async afterChange(notify: readonly string[]): Promise<void> {
    this.wake(notify);
    await this.due.arm();
  }
}
