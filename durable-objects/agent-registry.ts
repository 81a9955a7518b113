/**
 * AgentRegistry: the one Durable Object that owns ChainBot's agents (and the directory of entanglements).
 * It serialises every spawn: the limit check (`agents.max_instances_per_type`, `agents.max_total_instances`)
 * and the insert run in one synchronous SQLite transaction, so concurrent spawns can never overshoot.
 * `chainbot.agent.spawned` / `chainbot.agent.terminated` go to the outbox in the same transaction as the
 * change and reach the bus from the alarm. Agents are `working` while they run at least one task
 * (`beginWork` / `endWork`, or `claimIdle` for "an idle agent of type T").
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { createEvent } from "../workers/platform/bus/envelope";
import { Outbox } from "../workers/platform/bus/outbox";
import { publish } from "../workers/platform/bus/publish";
import { DueWork } from "../workers/platform/durable/due-work";
import type { Env } from "../workers/platform/env";
import { fail, type Result } from "../workers/platform/errors";
import {
  type Agent,
  AgentIdSchema,
  AgentIdsSchema,
  AgentListSchema,
  type AgentStatus,
  AgentTypeSchema,
  type EntanglementEntry,
  EntanglementEntrySchema,
  EntanglementListSchema,
  SpawnSchema,
} from "./agent-registry-model";
import { agentRow, countByStatus, listAgents, listEntanglements, liveCounts, SCHEMA } from "./agent-registry-store";

const SOURCE = "chainbot";
/** Task outcomes kept for health: a day (the health check reads the last hour). */
const OUTCOMES_KEPT_MS = 24 * 3_600_000;
const TaskOutcomeSchema = z.enum(["ok", "error"]);

function notFound(id: string): Result<never> {
  return fail(404, "agent_not_found", `no agent '${id}'`, { agent_id: id });
}

export class AgentRegistry extends DurableObject<Env> {
  /** The registry's clock; tests may replace it. */
  clock: () => number = () => Date.now();
  private readonly sql: SqlStorage;
  private readonly outbox: Outbox;
  private readonly due;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    for (const statement of SCHEMA) this.sql.exec(statement);
    this.outbox = new Outbox(this.sql, (events) => publish(env, events));
    this.due = new DueWork(ctx, { clock: () => this.clock(), work: { outbox: this.outbox } });
  }

  /** Spawns an agent unless a limit is reached (409 naming the limit); the check and insert are one step. */
  async spawn(raw: unknown): Promise<Result<{ agent: Agent }>> {
    const input = SpawnSchema.parse(raw);
    const now = this.clock();
    const result = this.ctx.storage.transactionSync((): Result<{ agent: Agent }> => {
      if (!input.limits.types.includes(input.agent_type))
        return fail(409, "agent_type_disabled", `agent type '${input.agent_type}' is not in agents.types`, {
          agent_type: input.agent_type,
          types: input.limits.types,
        });
      const live = liveCounts(this.sql, input.agent_type);
      if (live.ofType >= input.limits.max_instances_per_type)
        return fail(
          409,
          "agent_limit_reached",
          `${live.ofType} ${input.agent_type} agents already: agents.max_instances_per_type is ${input.limits.max_instances_per_type}`,
          { limit: "max_instances_per_type", value: input.limits.max_instances_per_type, agent_type: input.agent_type },
        );
      if (live.total >= input.limits.max_total_instances)
        return fail(
          409,
          "agent_limit_reached",
          `${live.total} agents already: agents.max_total_instances is ${input.limits.max_total_instances}`,
          { limit: "max_total_instances", value: input.limits.max_total_instances, agent_type: input.agent_type },
        );
      const id = crypto.randomUUID();
      this.sql.exec(
        "INSERT INTO agents (id, agent_type, name, config, status, busy, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, 'idle', 0, ?, ?, ?)",
        id,
        input.agent_type,
        input.name,
        JSON.stringify(input.config),
        input.created_by,
        now,
        now,
      );
      const agent = agentRow(this.sql, id);
      if (!agent) throw new Error("agent vanished inside its own transaction");
      this.announce("chainbot.agent.spawned", agent, now, input.traceparent);
      return { ok: true, agent };
    });
    await this.due.arm();
    return result;
  }

  get(rawId: unknown): Result<{ agent: Agent }> {
    const id = AgentIdSchema.parse(rawId);
    const agent = agentRow(this.sql, id);
    return agent ? { ok: true, agent } : notFound(id);
  }

  list(raw: unknown): Agent[] {
    return listAgents(this.sql, AgentListSchema.parse(raw));
  }

  /** Terminates an agent (its slot is free at once); a second terminate is 409 `agent_terminated`. */
  async terminate(rawId: unknown, traceparent?: string): Promise<Result<{ agent: Agent }>> {
    const id = AgentIdSchema.parse(rawId);
    const now = this.clock();
    const result = this.ctx.storage.transactionSync((): Result<{ agent: Agent }> => {
      const agent = agentRow(this.sql, id);
      if (!agent) return notFound(id);
      if (agent.status === "terminated")
        return fail(409, "agent_terminated", `agent '${id}' is already terminated`, { agent_id: id });
      this.sql.exec(
        "UPDATE agents SET status = 'terminated', terminated_at = ?, updated_at = ? WHERE id = ?",
        now,
        now,
        id,
      );
      const done = { ...agent, status: "terminated" as const, terminated_at: now, updated_at: now };
      this.announce("chainbot.agent.terminated", done, now, traceparent);
      return { ok: true, agent: done };
    });
    await this.due.arm();
    return result;
  }

  /** Marks the agent busy with one more task (`working`); a terminated or unknown agent is refused. */
  beginWork(rawId: unknown): Result<{ agent: Agent }> {
    const id = AgentIdSchema.parse(rawId);
    return this.ctx.storage.transactionSync((): Result<{ agent: Agent }> => {
      const agent = agentRow(this.sql, id);
      if (!agent) return notFound(id);
      if (agent.status === "terminated")
        return fail(409, "agent_terminated", `agent '${id}' is terminated`, { agent_id: id });
      this.sql.exec(
        "UPDATE agents SET busy = busy + 1, status = 'working', updated_at = ? WHERE id = ?",
        this.clock(),
        id,
      );
      return { ok: true, agent: { ...agent, busy: agent.busy + 1, status: "working" } };
    });
  }

  /**
   * One task of the agent is over; it is `idle` again once none is left (a terminated agent stays so). With
   * an outcome, the task counts in the day of outcomes health reads (`taskOutcomes`).
   */
  endWork(rawId: unknown, rawOutcome?: unknown): void {
    const id = AgentIdSchema.parse(rawId);
    const outcome = TaskOutcomeSchema.optional().parse(rawOutcome);
    const now = this.clock();
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        "UPDATE agents SET busy = MAX(busy - 1, 0), status = CASE WHEN status = 'terminated' THEN status WHEN busy - 1 > 0 THEN 'working' ELSE 'idle' END, updated_at = ? WHERE id = ?",
        now,
        id,
      );
      if (outcome === undefined) return;
      this.sql.exec("INSERT INTO task_outcomes (at, ok) VALUES (?, ?)", now, outcome === "ok" ? 1 : 0);
      this.sql.exec("DELETE FROM task_outcomes WHERE at < ?", now - OUTCOMES_KEPT_MS);
    });
  }

  /** How the agents' tasks ended since `since` (epoch ms; at most a day back). */
  taskOutcomes(rawSince: unknown): { ok: number; failed: number } {
    const since = z.number().int().parse(rawSince);
    const row = this.sql
      .exec<{ ok: number; failed: number }>(
        "SELECT COALESCE(SUM(ok), 0) AS ok, COALESCE(SUM(1 - ok), 0) AS failed FROM task_outcomes WHERE at >= ?",
        since,
      )
      .one();
    return { ok: row.ok, failed: row.failed };
  }

  /** Takes the longest-idle agent of a type and marks it `working`, or null when none is idle. */
  claimIdle(rawType: unknown): Agent | null {
    const type = AgentTypeSchema.parse(rawType);
    return this.ctx.storage.transactionSync(() => {
      const row = this.sql
        .exec<{ id: string }>(
          "SELECT id FROM agents WHERE agent_type = ? AND status = 'idle' ORDER BY updated_at, id LIMIT 1",
          type,
        )
        .toArray()[0];
      if (!row) return null;
      const begun = this.beginWork(row.id);
      return begun.ok ? begun.agent : null;
    });
  }

  /** Each agent's status (null for an unknown id). */
  statuses(rawIds: unknown): Record<string, AgentStatus | null> {
    const ids = AgentIdsSchema.parse(rawIds);
    return Object.fromEntries(ids.map((id) => [id, agentRow(this.sql, id)?.status ?? null]));
  }

  counts(): Record<AgentStatus, number> {
    return countByStatus(this.sql);
  }

  /** Lists an entanglement in the directory (idempotent on its id). */
  addEntanglement(raw: unknown): void {
    const entry = EntanglementEntrySchema.parse(raw);
    this.sql.exec(
      "INSERT OR IGNORE INTO entanglements (id, name, description, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
      entry.id,
      entry.name,
      entry.description,
      entry.created_by,
      entry.created_at,
    );
  }

  listEntanglements(raw: unknown): EntanglementEntry[] {
    const input = EntanglementListSchema.parse(raw);
    return listEntanglements(this.sql, input.limit, input.after);
  }

  override async alarm(): Promise<void> {
    await this.due.alarm();
  }

  /** The seed's event data: no config, so an api agent's credentials never reach the bus. */
  private announce(type: string, agent: Agent, now: number, traceparent?: string): void {
    const payload = {
      timestamp: new Date(now).toISOString(),
      module_id: "chainbot",
      agent_id: agent.id,
      agent_type: agent.agent_type,
      name: agent.name,
      status: agent.status,
    };
    this.outbox.add(createEvent({ type, source: SOURCE, payload, traceparent, now }));
  }
}
