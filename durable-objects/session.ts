/**
 * Session: one Durable Object per chat session (seed 003 `Session`; the seed's Redis `wb:session:{id}`). It
 * holds the founder, workspace, trust mode and surface the session was opened with, the turns still in
 * context and the rolling summary of the turns folded out of it. The chat gateway decides when to fold (it
 * asks the model gateway for the summary) and hands the result back with `fold`, which is refused if another
 * fold got there first, so no turn is ever dropped without being summarised. A session idle for its TTL is
 * expired by the alarm (DueWork). Only its founder reads it: anyone else gets the same 404 as a missing one.
 *
 *
 * It also holds the session's WebSockets (`GET /ws`, hibernation API): the Worker admits the upgrade and
 * forwards it here, session-sockets.ts runs the frames and replies, session-replies.ts keeps the reply in
 * flight for sockets that reconnect.
 *
 * RPC: open(input), appendTurns(input), fold(input), read(founderId, maxTrustMode), prompt(input) (a turn no
 * socket sent, streamed to every open socket). fetch: the admitted upgrade.
 */
import { DurableObject } from "cloudflare:workers";
import type { z } from "zod";
import { DueWork } from "../workers/platform/durable/due-work";
import type { Env } from "../workers/platform/env";
import { errorBody, fail, type Failure, type Result } from "../workers/platform/errors";
import {
  AppendTurnsSchema,
  FoldSchema,
  OpenSessionSchema,
  type AppendTurnsInput,
  type FoldInput,
  type OpenSessionInput,
  type SessionState,
} from "./session-contract";
import { ReplyLog } from "./session-replies";
import {
  PromptSchema,
  SOCKET_OPEN_HEADER,
  SocketOpenSchema,
  type PromptInput,
  type SocketTurnDone,
} from "./session-socket-contract";
import { HEARTBEAT, HEARTBEAT_ACK } from "./session-socket-protocol";
import { SessionSockets } from "./session-sockets";
import { SessionStore } from "./session-store";

function invalid(error: z.ZodError): Failure {
  const issues = error.issues.map((i) => ({ field: i.path.map(String).join("."), message: i.message }));
  return fail(400, "invalid_input", `${issues[0]?.field ?? "input"}: ${issues[0]?.message ?? "invalid"}`, { issues });
}

const notFound = (): Failure => fail(404, "session_not_found", "no such session");

export class Session extends DurableObject<Env> {
  /** The session's clock; tests replace it to age a session instead of waiting a day. */
  clock: () => number = () => Date.now();
  private readonly store: SessionStore;
  private readonly replies: ReplyLog;
  private readonly sockets: SessionSockets;
  private readonly due;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new SessionStore(ctx.storage.sql);
    this.replies = new ReplyLog(ctx.storage.sql);
    this.sockets = new SessionSockets(
      ctx,
      env,
      this.replies,
      () => this.clock(),
      (input) => this.open(input),
    );
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(HEARTBEAT, HEARTBEAT_ACK));
    this.due = new DueWork(ctx, {
      clock: () => this.clock(),
      work: {
        expiry: {
          nextDueAt: () => this.store.expiresAt(),
          run: (now: number) => {
            const at = this.store.expiresAt();
            if (at === null || at > now) return;
            this.store.clear();
            this.replies.clear();
            this.sockets.endAll("session_expired");
          },
        },
      },
    });
  }

  /** Creates the session (`create`) or resumes it; another founder's or a missing session is 404. */
  async open(input: OpenSessionInput): Promise<Result<{ session: SessionState; created: boolean }>> {
    const parsed = OpenSessionSchema.safeParse(input);
    if (!parsed.success) return invalid(parsed.error);
    const a = parsed.data;
    const now = this.clock();
    const existing = this.live(now);
    if (!existing) {
      if (!a.create) return notFound();
      this.store.create({
        id: a.id,
        founderId: a.founderId,
        workspaceId: a.workspaceId,
        trustMode: a.trustMode as SessionState["trustMode"],
        surface: a.surface,
        createdAt: now,
        lastActiveAt: now,
        expiresAt: now + a.ttlMs,
      });
    } else {
      // Mode-3 sessions are invisible to a caller whose ceiling is lower, exactly like missing ones.
      if (existing.founderId !== a.founderId || existing.trustMode > a.trustMode) return notFound();
      this.store.touch(now, now + a.ttlMs, a.surface);
    }
    await this.due.armBy(now + a.ttlMs);
    const session = this.store.state();
    return session ? { ok: true, session, created: !existing } : notFound();
  }

  async appendTurns(input: AppendTurnsInput): Promise<Result<{ session: SessionState }>> {
    const parsed = AppendTurnsSchema.safeParse(input);
    if (!parsed.success) return invalid(parsed.error);
    const now = this.clock();
    const existing = this.live(now);
    if (existing?.founderId !== parsed.data.founderId) return notFound();
    this.transaction(() => {
      for (const t of parsed.data.turns) this.store.addTurn(t.role, t.text, now);
      this.store.touch(now, now + parsed.data.ttlMs);
    });
    await this.due.armBy(now + parsed.data.ttlMs);
    const session = this.store.state();
    return session ? { ok: true, session } : notFound();
  }

  fold(input: FoldInput): Result<{ session: SessionState }> {
    const parsed = FoldSchema.safeParse(input);
    if (!parsed.success) return invalid(parsed.error);
    const existing = this.live(this.clock());
    if (existing?.founderId !== parsed.data.founderId) return notFound();
    if (existing.summaryVersion !== parsed.data.summaryVersion)
      return fail(409, "fold_conflict", "the summary changed since this fold was computed");
    this.transaction(() => this.store.fold(parsed.data.upToSeq, parsed.data.summary));
    const session = this.store.state();
    return session ? { ok: true, session } : notFound();
  }

  /** The session for its founder at a trust ceiling of at least the session's mode; 404 otherwise. */
  read(founderId: string, maxTrustMode: number): Result<{ session: SessionState }> {
    const session = this.live(this.clock());
    if (session?.founderId !== founderId || session.trustMode > maxTrustMode) return notFound();
    return { ok: true, session };
  }

  /**
   * Runs one turn as the asker (a scheduled prompt) in the sockets' queue, so every socket open on the session
   * sees it stream and a reconnecting one can resume it; the session must be open (404 otherwise).
   */
  async prompt(input: PromptInput): Promise<Result<{ done: SocketTurnDone }>> {
    const parsed = PromptSchema.safeParse(input);
    if (!parsed.success) return invalid(parsed.error);
    const { asker, message, clientId } = parsed.data;
    const existing = this.live(this.clock());
    if (existing?.id !== asker.sessionId || existing.founderId !== asker.caller.founderId) return notFound();
    const outcome = await this.sockets.prompt(asker, message, clientId);
    if (outcome.ok) return { ok: true, done: outcome.done };
    return fail(outcome.status, outcome.error.code, outcome.error.message);
  }

  /** A WebSocket upgrade the Worker admitted (GET /ws): the session is opened or resumed, then the socket joins it. */
  override async fetch(request: Request): Promise<Response> {
    let raw: unknown = null;
    try {
      raw = JSON.parse(request.headers.get(SOCKET_OPEN_HEADER) ?? "null");
    } catch {
      // Answered as invalid below.
    }
    const parsed = SocketOpenSchema.safeParse(raw);
    if (!parsed.success) {
      const failure = invalid(parsed.error);
      return Response.json(errorBody(failure.code, failure.message, failure.details), { status: 400 });
    }
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket")
      return Response.json(errorBody("upgrade_required", "connect with a WebSocket upgrade"), {
        status: 426,
        headers: { upgrade: "websocket" },
      });
    const opened = await this.open(parsed.data.session);
    if (!opened.ok)
      return Response.json(errorBody(opened.code, opened.message, opened.details), { status: opened.status });
    return this.sockets.accept(parsed.data, opened.session, opened.created);
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    this.sockets.message(ws, message);
  }

  override webSocketClose(ws: WebSocket, code: number): void {
    this.sockets.closed(ws, code);
  }

  override webSocketError(ws: WebSocket): void {
    this.sockets.closed(ws, 1011);
  }

  override async alarm(): Promise<void> {
    await this.due.alarm();
  }

  /** A synchronous transaction; one that rolls back leaves the store's in-memory state to be read again. */
  private transaction(fn: () => void): void {
    try {
      this.ctx.storage.transactionSync(fn);
    } catch (err) {
      this.store.forget();
      throw err;
    }
  }

  /** The session unless its TTL has passed (an alarm not yet run must not resurrect it). */
  private live(now: number): SessionState | null {
    const session = this.store.state();
    return session && session.expiresAt > now ? session : null;
  }
}
