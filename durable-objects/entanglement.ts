/**
 * Entanglement: one Durable Object per ChainBot entanglement (seed 004's agent network). It owns the
 * members, the message log (private sender → receiver, or broadcast) with per-member history, and the live
 * WebSockets (hibernation API), each tagged with the member whose view it shows. A private `task` to an
 * assistant member is queued in the same transaction as the message and answered off the request path by
 * the object's alarm (DueWork) through the provided answerer: the reply, or an `error` message, goes back to
 * the sender, so a task is never met with silence. Workflow executions may wait on a message
 * (entanglement-waiters.ts): a matching message notifies them through their event-delivery RPC.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { DueWork } from "../workers/platform/durable/due-work";
import type { Env } from "../workers/platform/env";
import { errorBody, fail, type Result } from "../workers/platform/errors";
import {
  agentTaskAnswerer,
  type EntanglementInfo,
  HistorySchema,
  InitSchema,
  MAX_MEMBERS,
  type Member,
  MemberSchema,
  type Message,
  SendSchema,
  type TaskAnswer,
} from "./entanglement-contract";
import {
  appendMessage,
  duePendingTasks,
  nextPendingAt,
  type PendingTask,
  readHistory,
  readInfo,
  readMember,
  readMembers,
  SCHEMA,
  visibleTo,
} from "./entanglement-store";
import {
  addWaiter,
  matchWaiters,
  type Notice,
  noticeDelivered,
  pendingNotices,
  SubscribeSchema,
  WAITER_SCHEMA,
} from "./entanglement-waiters";
import { stubOf } from "../workers/platform/rpc";

/** A task's answer may take this long before the alarm tries it again (the call was lost with the object). */
const TASK_LEASE_MS = 120_000;
const MAX_TASK_ATTEMPTS = 3;
const TASKS_PER_TICK = 8;
const NOTICES_PER_TICK = 16;
/** A notice whose execution could not be reached is tried again after this long. */
const NOTICE_RETRY_MS = 2_000;
const ALL_TAG = "all";
const MEMBER_TAG = "member:";

const SocketQuerySchema = z.object({ member: z.string().min(1).max(128).nullable() });
const ClientFrameSchema = z.object({ type: z.literal("ping") });

function missing(): Result<never> {
  return fail(404, "entanglement_not_found", "no such entanglement");
}

function notMember(agentId: string, field: string): Result<never> {
  return fail(403, "not_a_member", `${field}: agent '${agentId}' is not a member of this entanglement`, {
    field,
    agent_id: agentId,
  });
}

export class Entanglement extends DurableObject<Env> {
  /** The object's clock; tests may replace it. */
  clock: () => number = () => Date.now();
  private readonly sql: SqlStorage;
  private readonly due;
  private noticeRetryAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    for (const statement of [...SCHEMA, ...WAITER_SCHEMA]) this.sql.exec(statement);
    this.due = new DueWork(ctx, {
      clock: () => this.clock(),
      work: {
        tasks: { nextDueAt: () => nextPendingAt(this.sql), run: (now: number) => this.runTasks(now) },
        notices: {
          nextDueAt: (now: number) =>
            pendingNotices(this.sql, 1).length > 0 ? Math.max(now, this.noticeRetryAt) : null,
          run: () => this.notifyWaiters(),
        },
      },
    });
  }

  /** Creates the entanglement once; calling again answers with what exists (`created: false`). */
  init(raw: unknown): { info: EntanglementInfo; created: boolean } {
    const input = InitSchema.parse(raw);
    const existing = readInfo(this.sql);
    if (existing) return { info: existing, created: false };
    this.sql.exec(
      "INSERT INTO meta (id, name, description, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
      input.id,
      input.name,
      input.description,
      input.created_by,
      input.created_at,
    );
    return { info: input, created: true };
  }

  describe(): Result<{ info: EntanglementInfo; members: Member[]; messages: number }> {
    const info = readInfo(this.sql);
    if (!info) return missing();
    const messages = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM messages").one().n;
    return { ok: true, info, members: readMembers(this.sql), messages };
  }

  addMember(raw: unknown): Result<{ member: Member; added: boolean }> {
    const input = MemberSchema.parse(raw);
    if (!readInfo(this.sql)) return missing();
    const existing = readMember(this.sql, input.agent_id);
    if (existing) return { ok: true, member: existing, added: false };
    if (readMembers(this.sql).length >= MAX_MEMBERS)
      return fail(409, "entanglement_full", `an entanglement holds at most ${MAX_MEMBERS} agents`, {
        limit: MAX_MEMBERS,
      });
    const member = { ...input, joined_at: this.clock() };
    this.sql.exec(
      "INSERT INTO members (agent_id, agent_type, name, joined_at) VALUES (?, ?, ?, ?)",
      member.agent_id,
      member.agent_type,
      member.name,
      member.joined_at,
    );
    return { ok: true, member, added: true };
  }

  /** Removes a member and closes its live sockets; its history stays in the log. */
  removeMember(rawId: unknown): Result<{ agent_id: string }> {
    const agentId = z.string().min(1).max(128).parse(rawId);
    if (!readInfo(this.sql)) return missing();
    if (!readMember(this.sql, agentId)) return notMember(agentId, "agent_id");
    this.sql.exec("DELETE FROM members WHERE agent_id = ?", agentId);
    for (const ws of this.ctx.getWebSockets(`${MEMBER_TAG}${agentId}`)) closeQuietly(ws, 1008, "removed");
    return { ok: true, agent_id: agentId };
  }

  /** A workflow step waits for the next message matching its filters (idempotent per execution and step). */
  subscribe(raw: unknown): Result<{ subscribed: true }> {
    const input = SubscribeSchema.parse(raw);
    if (!readInfo(this.sql)) return missing();
    if (input.member !== null && !readMember(this.sql, input.member)) return notMember(input.member, "member");
    addWaiter(this.sql, input, this.clock());
    return { ok: true, subscribed: true };
  }

  /** Appends a private or broadcast message, pushes it to the sockets allowed to see it, queues a task. */
  async send(raw: unknown): Promise<Result<{ message: Message }>> {
    const input = SendSchema.parse(raw);
    if (!readInfo(this.sql)) return missing();
    if (!readMember(this.sql, input.sender_id)) return notMember(input.sender_id, "sender_id");
    const receiver = input.receiver_id === null ? null : readMember(this.sql, input.receiver_id);
    if (input.receiver_id !== null && !receiver) return notMember(input.receiver_id, "receiver_id");
    const now = this.clock();
    const message = this.ctx.storage.transactionSync(() => {
      const appended = appendMessage(this.sql, {
        id: crypto.randomUUID(),
        sender_id: input.sender_id,
        receiver_id: input.receiver_id,
        message_type: input.message_type,
        content: input.content,
        in_reply_to: input.in_reply_to ?? null,
        created_at: now,
      });
      if (input.message_type === "task" && receiver?.agent_type === "assistant") {
        this.sql.exec(
          "INSERT INTO pending_tasks (message_id, agent_id, sender_id, content, due_at) VALUES (?, ?, ?, ?, ?)",
          appended.id,
          receiver.agent_id,
          input.sender_id,
          input.content,
          now,
        );
        this.due.dueBy(now);
      }
      if (matchWaiters(this.sql, appended, now) > 0) this.due.dueBy(now);
      return appended;
    });
    this.deliver(message);
    await this.due.arm();
    return { ok: true, message };
  }

  history(raw: unknown): Result<{ messages: Message[]; next_after: number | null }> {
    const input = HistorySchema.parse(raw);
    if (!readInfo(this.sql)) return missing();
    if (input.member !== null && !readMember(this.sql, input.member)) return notMember(input.member, "member");
    // One more than asked tells whether another page exists.
    const rows = readHistory(this.sql, input.member, input.after, input.limit + 1);
    const page = rows.slice(0, input.limit);
    const last = page[page.length - 1];
    return { ok: true, messages: page, next_after: rows.length > input.limit && last ? last.seq : null };
  }

  /** A live view: `/ws?member=<agent id>` sees what that member may see; without `member`, everything. */
  override fetch(request: Request): Response {
    const url = new URL(request.url);
    const query = SocketQuerySchema.safeParse({ member: url.searchParams.get("member") });
    if (url.pathname !== "/ws" || !query.success)
      return Response.json(errorBody("invalid_input", "expected /ws?member=<agent id>"), { status: 400 });
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket")
      return Response.json(errorBody("upgrade_required", "connect with a WebSocket upgrade"), {
        status: 426,
        headers: { upgrade: "websocket" },
      });
    const info = readInfo(this.sql);
    if (!info) return Response.json(errorBody("entanglement_not_found", "no such entanglement"), { status: 404 });
    const member = query.data.member;
    if (member !== null && !readMember(this.sql, member)) {
      const refused = notMember(member, "query.member");
      if (!refused.ok) return Response.json(errorBody(refused.code, refused.message, refused.details), { status: 403 });
    }
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [member === null ? ALL_TAG : `${MEMBER_TAG}${member}`]);
    server.send(JSON.stringify({ type: "hello", entanglement_id: info.id, member }));
    return new Response(null, { status: 101, webSocket: client });
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    if (ClientFrameSchema.safeParse(parseFrame(message)).success) ws.send(JSON.stringify({ type: "pong" }));
    else
      ws.send(
        JSON.stringify({ type: "error", ...errorBody("invalid_input", 'the only client frame is {"type":"ping"}') }),
      );
  }

  override webSocketClose(ws: WebSocket, code: number): void {
    closeQuietly(ws, code >= 1000 && code < 1004 ? code : 1000, "closed");
  }

  override webSocketError(ws: WebSocket): void {
    closeQuietly(ws, 1011, "socket error");
  }

  override async alarm(): Promise<void> {
    await this.due.alarm();
  }

  private deliver(message: Message): void {
    const frame = JSON.stringify({ type: "message", message });
    for (const ws of this.ctx.getWebSockets()) {
      const tag = this.ctx.getTags(ws)[0] ?? ALL_TAG;
      const member = tag.startsWith(MEMBER_TAG) ? tag.slice(MEMBER_TAG.length) : null;
      if (!visibleTo(member, message)) continue;
      try {
        ws.send(frame);
      } catch {
        // A socket closing as we send: the member reads the message from history.
      }
    }
  }

  /** Answers the due tasks side by side; each is leased first, so a lost answer is retried, at most thrice. */
  private async runTasks(now: number): Promise<number> {
    const tasks = duePendingTasks(this.sql, now, TASKS_PER_TICK);
    for (const t of tasks)
      this.sql.exec(
        "UPDATE pending_tasks SET attempts = attempts + 1, due_at = ? WHERE message_id = ?",
        now + TASK_LEASE_MS,
        t.message_id,
      );
    await Promise.all(tasks.map((t) => this.answer(t)));
    return tasks.length;
  }

  private async answer(task: PendingTask): Promise<void> {
    const info = readInfo(this.sql);
    let answer: TaskAnswer;
    if (task.attempts >= MAX_TASK_ATTEMPTS) {
      answer = { ok: false, error: `no answer after ${MAX_TASK_ATTEMPTS} attempts` };
    } else {
      try {
        answer = await agentTaskAnswerer.get()(this.env, this.ctx, {
          entanglement_id: info?.id ?? "",
          message_id: task.message_id,
          agent_id: task.agent_id,
          sender_id: task.sender_id,
          content: task.content,
        });
      } catch (err) {
        answer = { ok: false, error: err instanceof Error ? err.message : String(err) };
      }
    }
    const reply = this.ctx.storage.transactionSync(() => {
      this.sql.exec("DELETE FROM pending_tasks WHERE message_id = ?", task.message_id);
      // The sender may have left meanwhile: the reply still goes in the log, addressed to it.
      const appended = appendMessage(this.sql, {
        id: crypto.randomUUID(),
        sender_id: task.agent_id,
        receiver_id: task.sender_id,
        message_type: answer.ok ? "response" : "error",
        content: answer.ok ? answer.content : answer.error,
        in_reply_to: task.message_id,
        created_at: this.clock(),
      });
      if (matchWaiters(this.sql, appended, this.clock()) > 0) this.due.dueBy(this.clock());
      return appended;
    });
    this.deliver(reply);
  }

  /** Hands each queued notice to its execution; one the execution refuses for good (gone, ended) is dropped. */
  private async notifyWaiters(): Promise<number> {
    const notices = pendingNotices(this.sql, NOTICES_PER_TICK);
    const info = readInfo(this.sql);
    const results = await Promise.all(notices.map((n) => this.notify(n, info?.id ?? "")));
    const failed = results.filter((landed) => !landed).length;
    this.noticeRetryAt = failed > 0 ? this.clock() + NOTICE_RETRY_MS : 0;
    return notices.length - failed;
  }

  private async notify(n: Notice, entanglementId: string): Promise<boolean> {
    try {
      const res = await stubOf(this.env.WORKFLOW_EXECUTION, n.execution_id).signal({
        kind: "event",
        name: n.signal,
        payload: { entanglement_id: entanglementId, message: n.message },
        by: `entanglement:${entanglementId}`,
      });
      if (!res.ok && res.status !== 404 && res.status !== 409) return false;
      noticeDelivered(this.sql, n);
      return true;
    } catch {
      return false;
    }
  }
}

function parseFrame(message: string | ArrayBuffer): unknown {
  if (typeof message !== "string") return null;
  try {
    return JSON.parse(message) as unknown;
  } catch {
    return null;
  }
}

function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // Already closed.
  }
}
