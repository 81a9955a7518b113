/**
 * BotzRegistry: the one Durable Object per BoTZ ecosystem. It owns instances, work items and claims, and
 * serialises every claim: each RPC method does its read-modify-write synchronously in one SQLite
 * transaction, so two claimers can never take the same item. Claims carry a lease and a fencing token;
 * the alarm requeues expired leases, marks silent instances stale and flushes the event outbox. Register and
 * heartbeat take an optional idempotency key (the bus handlers pass `${event_id}:${handler}`), recorded in
 * the same transaction as the change, so a redelivered event applies nothing twice.
 */
import { DurableObject } from "cloudflare:workers";
import type {
  Claim,
  ClaimInput,
  CompleteInput,
  HeartbeatInput,
  Instance,
  NewWorkItem,
  RegisterInput,
  Stats,
  WorkItem,
  WorkItemFilter,
} from "./botz-registry-model";
import { skillRank, type SkillLevel } from "./botz-registry-model";
import { createEvent } from "../workers/platform/bus/envelope";
import { Outbox } from "../workers/platform/bus/outbox";
import { publish } from "../workers/platform/bus/publish";
import { readConfig, type BotzSettings } from "../workers/platform/config";
import { AppliedKeys } from "../workers/platform/durable/applied-keys";
import { DueWork } from "../workers/platform/durable/due-work";
import { metricsFlushWork } from "../workers/platform/metrics/recorder";
import type { Env } from "../workers/platform/env";
import { fail, type Result } from "../workers/platform/errors";
import {
  countBy,
  instanceRow,
  listWorkItems,
  nextClaimable,
  recordClaim,
  SCHEMA,
  toInstance,
  toWorkItem,
  workItemRow,
} from "./botz-registry-store";

const SOURCE = "botz-gateway";
const CLAIM_HISTORY_MS = 7 * 24 * 3600_000;

export class BotzRegistry extends DurableObject<Env> {
  /** The registry's clock; tests replace it to move time instead of waiting. */
  clock: () => number = () => Date.now();
  private readonly sql: SqlStorage;
  private readonly outbox: Outbox;
  private readonly applied: AppliedKeys;
  private readonly settings: BotzSettings;
  private readonly due;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    for (const statement of SCHEMA) this.sql.exec(statement);
    this.outbox = new Outbox(this.sql, (events) => publish(env, events));
    this.applied = new AppliedKeys(this.sql);
    this.settings = readConfig(env).botz;
    this.due = new DueWork(ctx, {
      clock: () => this.clock(),
      work: {
        sweep: {
          nextDueAt: (now: number) => this.nextSweepAt(now),
          run: (now: number) => this.ctx.storage.transactionSync(() => this.sweep(now)),
        },
        outbox: this.outbox,
        appliedKeys: this.applied,
        // The flush counted bus messages in this isolate; a Durable Object has no request to ride along with.
        metrics: metricsFlushWork(env),
      },
    });
  }

  /**
   * Registers or re-registers an instance. With an idempotency key already applied, changes nothing and
   * announces nothing, and answers with the instance as it is now (`created: false`).
   */
  async register(
    input: RegisterInput,
    traceparent?: string,
    idempotencyKey?: string,
  ): Promise<{ instance: Instance; created: boolean }> {
    const now = this.clock();
    const created = this.ctx.storage.transactionSync(() => {
      if (idempotencyKey !== undefined && !this.applied.claim(idempotencyKey, now)) return false;
      const existing = this.sql
        .exec("SELECT botz_id FROM instances WHERE instance_id = ?", input.instance_id)
        .toArray()[0];
      const values = [
        input.botz_name,
        input.skill_level,
        skillRank(input.skill_level),
        JSON.stringify(input.available_mcp_tools),
        input.runner_host ?? null,
        input.config_path ?? null,
        JSON.stringify(input.metadata),
      ];
      if (existing) {
        this.sql.exec(
          "UPDATE instances SET botz_name = ?, skill_level = ?, skill_rank = ?, available_mcp_tools = ?, runner_host = ?, config_path = ?, metadata = ?, status = 'active', last_heartbeat_at = ?, updated_at = ? WHERE instance_id = ?",
          ...values,
          now,
          now,
          input.instance_id,
        );
      } else {
        this.sql.exec(
          "INSERT INTO instances (botz_name, skill_level, skill_rank, available_mcp_tools, runner_host, config_path, metadata, botz_id, instance_id, status, registered_at, last_heartbeat_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)",
          ...values,
          input.botz_id,
          input.instance_id,
          now,
          now,
          now,
        );
      }
      const payload = {
        botz_id: input.botz_id,
        instance_id: input.instance_id,
        botz_name: input.botz_name,
        skill_level: input.skill_level,
        created: !existing,
      };
      this.outbox.add(createEvent({ type: "botz.registered.v1", source: SOURCE, payload, traceparent, now }));
      return !existing;
    });
    await this.due.arm();
    return { instance: this.instance(input.botz_id), created };
  }

  /** Records a sign of life and extends its leases; with an idempotency key already applied, changes nothing. */
  async heartbeat(
    input: HeartbeatInput,
    idempotencyKey?: string,
  ): Promise<Result<{ instance: Instance; leases_extended: number }>> {
    const now = this.clock();
    const row = instanceRow(this.sql, input.botz_id);
    if (!row) return fail(404, "botz_not_found", `no BoTZ instance '${input.botz_id}'`);
    const extended = this.ctx.storage.transactionSync(() => {
      if (idempotencyKey !== undefined && !this.applied.claim(idempotencyKey, now)) return 0;
      const status = input.status ?? (row.status === "stale" ? "active" : row.status);
      const current = input.current_work_item_id === undefined ? row.current_work_item_id : input.current_work_item_id;
      this.sql.exec(
        "UPDATE instances SET status = ?, current_work_item_id = ?, last_heartbeat_at = ?, updated_at = ? WHERE botz_id = ?",
        status,
        current ?? null,
        now,
        now,
        input.botz_id,
      );
      // Counted with RETURNING: rowsWritten also counts index entries.
      return this.sql
        .exec(
          "UPDATE work_items SET lease_expires_at = ?, updated_at = ? WHERE status = 'claimed' AND claimed_by = ? AND lease_expires_at > ? RETURNING 1",
          now + this.settings.leaseMs,
          now,
          input.botz_id,
          now,
        )
        .toArray().length;
    });
    // A revived instance can go stale again; the alarm works out the rest when it fires.
    await this.due.armBy(now + this.settings.staleThresholdMs);
    return { ok: true, instance: this.instance(input.botz_id), leases_extended: extended };
  }

  getInstance(botzId: string): Result<{ instance: Instance }> {
    const row = instanceRow(this.sql, botzId);
    return row ? { ok: true, instance: toInstance(row) } : fail(404, "botz_not_found", `no BoTZ instance '${botzId}'`);
  }

  listInstances(filter: {
    status?: string | undefined;
    skill_level?: SkillLevel | undefined;
    limit: number;
    offset: number;
  }): Instance[] {
    const where: string[] = [];
    const args: SqlStorageValue[] = [];
    if (filter.status) {
      where.push("status = ?");
      args.push(filter.status);
    }
    if (filter.skill_level) {
      where.push("skill_level = ?");
      args.push(filter.skill_level);
    }
    const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
    return this.sql
      .exec(
        `SELECT * FROM instances ${clause} ORDER BY registered_at, botz_id LIMIT ? OFFSET ?`,
        ...args,
        filter.limit,
        filter.offset,
      )
      .toArray()
      .map(toInstance);
  }

  createWorkItems(items: readonly NewWorkItem[]): string[] {
    const now = this.clock();
    return this.ctx.storage.transactionSync(() =>
      items.map((item) => {
        const id = crypto.randomUUID();
        this.sql.exec(
          "INSERT INTO work_items (work_item_id, title, description, integration_name, required_skill_level, skill_rank, priority, payload, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
          id,
          item.title,
          item.description ?? null,
          item.integration_name ?? null,
          item.required_skill_level,
          skillRank(item.required_skill_level),
          item.priority,
          JSON.stringify(item.payload ?? null),
          now,
          now,
        );
        return id;
      }),
    );
  }

  listWorkItems(filter: WorkItemFilter): WorkItem[] {
    return listWorkItems(this.sql, filter);
  }

  getWorkItem(id: string): Result<{ work_item: WorkItem }> {
    const row = workItemRow(this.sql, id);
    return row ? { ok: true, work_item: toWorkItem(row) } : fail(404, "work_item_not_found", `no work item '${id}'`);
  }

  async claim(input: ClaimInput, traceparent?: string): Promise<Result<{ claim: Claim }>> {
    const now = this.clock();
    const result = this.ctx.storage.transactionSync((): Result<{ claim: Claim }> => {
      const instance = instanceRow(this.sql, input.botz_id);
      if (!instance) return fail(404, "botz_not_found", `no BoTZ instance '${input.botz_id}'`);
      const rank = Number(instance.skill_rank);
      let item = input.work_item_id
        ? workItemRow(this.sql, input.work_item_id)
        : nextClaimable(this.sql, rank, input.integration_name);
      if (input.work_item_id) {
        if (!item) return fail(404, "work_item_not_found", `no work item '${input.work_item_id}'`);
        if (item.status === "claimed" && Number(item.lease_expires_at) <= now) item = this.expire(item, now);
        if (item.status === "claimed")
          return fail(409, "already_claimed", "work item is held by another claimer", { claimed_by: item.claimed_by });
        if (item.status !== "pending")
          return fail(409, "not_claimable", `work item is ${String(item.status)}`, { status: item.status });
        if (Number(item.skill_rank) > rank) {
          return fail(
            403,
            "skill_too_low",
            `requires ${String(item.required_skill_level)}, instance is ${String(instance.skill_level)}`,
            { required_skill_level: item.required_skill_level, skill_level: instance.skill_level },
          );
        }
      }
      if (!item) return fail(404, "no_claimable_item", "no pending work item this instance may claim");
      const id = String(item.work_item_id);
      const token = recordClaim(this.sql, id, input.botz_id, now);
      const lease = now + this.settings.leaseMs;
      this.sql.exec(
        "UPDATE work_items SET status = 'claimed', claimed_by = ?, session_id = ?, fencing_token = ?, lease_expires_at = ?, claimed_at = ?, attempts = attempts + 1, updated_at = ? WHERE work_item_id = ?",
        input.botz_id,
        input.session_id ?? null,
        token,
        lease,
        now,
        now,
        id,
      );
      // A claim is a sign of life: a stale claimer is active again.
      this.sql.exec(
        "UPDATE instances SET current_work_item_id = ?, last_heartbeat_at = ?, status = CASE status WHEN 'stale' THEN 'active' ELSE status END WHERE botz_id = ?",
        id,
        now,
        input.botz_id,
      );
      const workItem = toWorkItem({
        ...item,
        status: "claimed",
        claimed_by: input.botz_id,
        session_id: input.session_id ?? null,
        fencing_token: token,
        lease_expires_at: lease,
        claimed_at: now,
        attempts: Number(item.attempts) + 1,
        updated_at: now,
      });
      const claim: Claim = {
        work_item_id: id,
        botz_id: input.botz_id,
        fencing_token: token,
        lease_expires_at: new Date(lease).toISOString(),
        required_skill_level: workItem.required_skill_level,
        attempt: workItem.attempts,
        work_item: workItem,
      };
      const payload = {
        work_item_id: id,
        botz_id: input.botz_id,
        fencing_token: token,
        lease_expires_at: claim.lease_expires_at,
        session_id: input.session_id ?? null,
        integration_name: workItem.integration_name,
      };
      this.outbox.add(createEvent({ type: "botz.workitem.claimed.v1", source: SOURCE, payload, traceparent, now }));
      return { ok: true, claim };
    });
    if (result.ok) await this.due.arm();
    return result;
  }

  async complete(input: CompleteInput, traceparent?: string): Promise<Result<{ work_item: WorkItem }>> {
    const now = this.clock();
    const result = this.ctx.storage.transactionSync((): Result<{ work_item: WorkItem }> => {
      let item = workItemRow(this.sql, input.work_item_id);
      if (!item) return fail(404, "work_item_not_found", `no work item '${input.work_item_id}'`);
      if (item.status === "claimed" && Number(item.lease_expires_at) <= now) item = this.expire(item, now);
      if (
        item.status !== "claimed" ||
        item.claimed_by !== input.botz_id ||
        Number(item.fencing_token) !== input.fencing_token
      ) {
        return fail(
          409,
          "stale_claim",
          "this claim no longer holds the work item (lease expired, requeued or completed)",
          {
            status: item.status,
            current_fencing_token: item.fencing_token,
          },
        );
      }
      const claimedAt = Number(item.claimed_at);
      this.sql.exec(
        "UPDATE work_items SET status = ?, result = ?, error = ?, completed_at = ?, lease_expires_at = NULL, updated_at = ? WHERE work_item_id = ?",
        input.status,
        JSON.stringify(input.result ?? null),
        input.error ?? null,
        now,
        now,
        input.work_item_id,
      );
      this.sql.exec(
        "UPDATE claims SET ended_at = ?, outcome = ? WHERE fencing_token = ?",
        now,
        input.status,
        input.fencing_token,
      );
      this.sql.exec(
        "UPDATE instances SET current_work_item_id = NULL, last_heartbeat_at = ? WHERE botz_id = ? AND current_work_item_id = ?",
        now,
        input.botz_id,
        input.work_item_id,
      );
      const payload = {
        work_item_id: input.work_item_id,
        botz_id: input.botz_id,
        fencing_token: input.fencing_token,
        status: input.status,
        error: input.error ?? null,
        duration_ms: now - claimedAt,
      };
      this.outbox.add(createEvent({ type: "botz.workitem.completed.v1", source: SOURCE, payload, traceparent, now }));
      return { ok: true, work_item: toWorkItem(workItemRow(this.sql, input.work_item_id) ?? item) };
    });
    if (result.ok) await this.due.arm();
    return result;
  }

  stats(): Stats {
    const now = this.clock();
    const byStatus = countBy(this.sql, "SELECT status AS k, COUNT(*) AS n FROM instances GROUP BY status");
    const bySkill = countBy(this.sql, "SELECT skill_level AS k, COUNT(*) AS n FROM instances GROUP BY skill_level");
    const items = countBy(this.sql, "SELECT status AS k, COUNT(*) AS n FROM work_items GROUP BY status");
    const pairs = this.sql
      .exec<{ status: string; skill_level: string; count: number }>(
        "SELECT status, skill_level, COUNT(*) AS count FROM instances GROUP BY status, skill_level",
      )
      .toArray();
    const claimsLastHour = this.sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM claims WHERE claimed_at > ?", now - 3600_000)
      .one().n;
    const mean = this.sql
      .exec<{ m: number | null }>("SELECT AVG(ended_at - claimed_at) AS m FROM claims WHERE outcome = 'completed'")
      .one().m;
    const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    return {
      instances: { total: sum(byStatus), by_status: byStatus, by_skill_level: bySkill },
      instances_by_status_and_skill: pairs.map((p) => ({ ...p })),
      work_items: { total: sum(items), by_status: items },
      claims_last_hour: claimsLastHour,
      mean_claim_to_complete_seconds: mean === null ? null : mean / 1000,
      generated_at: new Date(now).toISOString(),
    };
  }

  /** Runs the periodic work now (the cron tick calls it so a lost alarm cannot stall the registry). */
  async tick(): Promise<{ requeued: number; failed: number; stale: number; sent: number }> {
    const done = await this.due.tick();
    return { ...done.sweep, sent: done.outbox.sent };
  }

  override async alarm(): Promise<void> {
    await this.due.alarm();
  }

  private instance(botzId: string): Instance {
    const row = instanceRow(this.sql, botzId);
    if (!row) throw new Error(`instance ${botzId} vanished inside its own transaction`);
    return toInstance(row);
  }

  /** Ends an expired claim: back to pending, or failed once it has used all its attempts. */
  private expire(item: Record<string, SqlStorageValue>, now: number): Record<string, SqlStorageValue> {
    const id = String(item.work_item_id);
    const exhausted = Number(item.attempts) >= this.settings.maxClaimAttempts;
    if (exhausted) {
      const error = `lease expired on attempt ${String(item.attempts)} of ${this.settings.maxClaimAttempts}`;
      this.sql.exec(
        "UPDATE work_items SET status = 'failed', error = ?, claimed_by = NULL, lease_expires_at = NULL, completed_at = ?, updated_at = ? WHERE work_item_id = ?",
        error,
        now,
        now,
        id,
      );
      const payload = {
        work_item_id: id,
        botz_id: item.claimed_by,
        fencing_token: item.fencing_token,
        status: "failed",
        error,
        duration_ms: null,
      };
      this.outbox.add(createEvent({ type: "botz.workitem.completed.v1", source: SOURCE, payload, now }));
    } else {
      this.sql.exec(
        "UPDATE work_items SET status = 'pending', claimed_by = NULL, session_id = NULL, lease_expires_at = NULL, updated_at = ? WHERE work_item_id = ?",
        now,
        id,
      );
    }
    this.sql.exec(
      "UPDATE claims SET ended_at = ?, outcome = 'expired' WHERE fencing_token = ?",
      now,
      item.fencing_token,
    );
    this.sql.exec(
      "UPDATE instances SET current_work_item_id = NULL WHERE botz_id = ? AND current_work_item_id = ?",
      item.claimed_by,
      id,
    );
    return workItemRow(this.sql, id) ?? item;
  }

  private sweep(now: number): { requeued: number; failed: number; stale: number } {
    let requeued = 0;
    let failed = 0;
    for (const item of this.sql
      .exec("SELECT * FROM work_items WHERE status = 'claimed' AND lease_expires_at <= ?", now)
      .toArray()) {
      if (this.expire(item, now).status === "failed") failed++;
      else requeued++;
    }
    const stale = this.sql
      .exec(
        "UPDATE instances SET status = 'stale', updated_at = ? WHERE status != 'stale' AND last_heartbeat_at <= ? RETURNING 1",
        now,
        now - this.settings.staleThresholdMs,
      )
      .toArray().length;
    this.sql.exec("DELETE FROM claims WHERE claimed_at < ? AND ended_at IS NOT NULL", now - CLAIM_HISTORY_MS);
    return { requeued, failed, stale };
  }

  /** The earliest of a lease expiring and an instance going stale (the outbox reports its own). */
  private nextSweepAt(now: number): number | null {
    const lease = this.sql
      .exec<{ t: number | null }>("SELECT MIN(lease_expires_at) AS t FROM work_items WHERE status = 'claimed'")
      .one().t;
    const beat = this.sql
      .exec<{ t: number | null }>("SELECT MIN(last_heartbeat_at) AS t FROM instances WHERE status != 'stale'")
      .one().t;
    const candidates = [lease, beat === null ? null : beat + this.settings.staleThresholdMs];
    const due = candidates.filter((t): t is number => t !== null).reduce((a, b) => Math.min(a, b), Infinity);
    return due === Infinity ? null : Math.max(due, now);
  }
}
