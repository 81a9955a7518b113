/**
 * The Session object's sockets (`GET /ws`): accepting them with the hibernation API, their frames, and the
 * replies. Every socket of the session (phone and laptop) gets every `response` frame of every reply, in the
 * same order, because a reply's frames are numbered, stored and broadcast in one synchronous step; a socket
 * that resumes is replayed the stored frames in that same step, so it misses none and gets none twice.
 * Messages are answered one at a time, in arrival order, so the transcript is the one /chat would write.
 */
import type { Env } from "../workers/platform/env";
import { AppError, unwrap, type Result } from "../workers/platform/errors";
import { createLogger } from "../workers/platform/logger";
import { formatTraceparent, startSpan } from "../workers/platform/trace";
import type { OpenSessionInput, SessionState } from "./session-contract";
import type { ReplyLog } from "./session-replies";
import {
  SOCKET_TAG,
  SocketAttachmentSchema,
  socketTurns,
  type SocketAttachment,
  type SocketOpen,
  type SocketTurnAsker,
  type SocketTurnDone,
  type SocketTurnRequest,
} from "./session-socket-contract";
import {
  CLOSE_NORMAL,
  CLOSE_SESSION_GONE,
  CLOSE_TOKEN_EXPIRED,
  disconnectFrame,
  errorFrame,
  HEARTBEAT_ACK,
  readClientFrame,
  type ConnectFrame,
  type ResponseBody,
} from "./session-socket-protocol";

/** Messages waiting behind the reply in flight; past this a sender is told to wait. */
const MAX_QUEUED = 8;

type TrustLevel = SocketTurnRequest["trustMode"];

export type ReplyOutcome =
  | { ok: true; done: SocketTurnDone }
  | { ok: false; status: AppError["status"]; error: { code: string; message: string } };

function send(ws: WebSocket, frame: string): void {
  try {
    ws.send(frame);
  } catch {
    // The socket is closing; the reply log still has the frame for its reconnect.
  }
}

function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // Already closed.
  }
}

export class SessionSockets {
  private queued = 0;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Env,
    private readonly replies: ReplyLog,
    private readonly clock: () => number,
    /** The object's own `open`: each message resumes the session (ownership, TTL) as /chat's turn does. */
    private readonly resume: (input: OpenSessionInput) => Promise<Result<{ session: SessionState }>>,
  ) {
    // A reply left streaming by an object that was reset mid-turn ends in an error frame for its resumers.
    for (const orphan of replies.orphaned()) {
      const seq = orphan.last_seq + 1;
      const frame = this.frameOf(orphan.reply_id, seq, {
        event: "error",
        error: { code: "reply_interrupted", message: "the session restarted before this reply finished" },
      });
      replies.append(orphan.reply_id, seq, frame);
      replies.finish(orphan.reply_id, "error");
    }
  }

  /** Accepts an admitted upgrade for an open session: `connect` first, then any resumed frames. */
  accept(open: SocketOpen, session: SessionState, created: boolean): Response {
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [SOCKET_TAG]);
    const attachment: SocketAttachment = {
      connectionId: crypto.randomUUID(),
      sessionId: session.id,
      caller: open.caller,
      surface: open.session.surface,
      trustMode: open.session.trustMode,
      tokenExpiresAt: open.tokenExpiresAt,
      ttlMs: open.session.ttlMs,
      connectedAt: this.clock(),
    };
    server.serializeAttachment(attachment);
    const connect: ConnectFrame = {
      type: "connect",
      session_id: session.id,
      created,
      connection_id: attachment.connectionId,
      founder_id: session.founderId,
      workspace_id: session.workspaceId,
      trust_mode: session.trustMode,
      surface: open.session.surface,
      protocol: open.protocol,
      last_reply: this.replies.latest(),
    };
    send(server, JSON.stringify(connect));
    if (open.resume) this.replay(server, open.resume.replyId, open.resume.afterSeq);
    const headers = open.protocol === null ? undefined : { "sec-websocket-protocol": open.protocol };
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  message(ws: WebSocket, message: string | ArrayBuffer): void {
    const read = readClientFrame(message);
    if ("error" in read) return send(ws, read.error);
    const attachment = SocketAttachmentSchema.safeParse(ws.deserializeAttachment());
    if (!attachment.success) return closeQuietly(ws, 1011, "socket without its attachment");
    const socket = attachment.data;
    const frame = read.frame;
    if (frame.type === "heartbeat") return send(ws, HEARTBEAT_ACK);
    if (frame.type === "disconnect") {
      send(ws, disconnectFrame("client_requested"));
      return closeQuietly(ws, CLOSE_NORMAL, "client requested");
    }
    if (frame.type === "resume") return this.replay(ws, frame.reply_id, frame.after_seq);
    if (socket.tokenExpiresAt !== null && socket.tokenExpiresAt <= this.clock()) {
      send(ws, errorFrame("token_expired", "token expired: reconnect with a fresh token"));
      send(ws, disconnectFrame("token_expired"));
      return closeQuietly(ws, CLOSE_TOKEN_EXPIRED, "token expired");
    }
    if (this.queued >= MAX_QUEUED)
      return send(ws, errorFrame("busy", `${MAX_QUEUED} messages already wait for a reply: send again later`));
    this.ctx.waitUntil(this.enqueue(socket, frame.text, frame.client_id ?? null, "socket"));
  }

  /**
   * A turn that no socket sent (a scheduled prompt): it waits in the same queue as the sockets' messages and
   * streams to every open socket like theirs; the result is the turn's, or its failure.
   */
  prompt(asker: SocketTurnAsker, text: string, clientId: string): Promise<ReplyOutcome> {
    const socket: SocketAttachment = {
      ...asker,
      connectionId: clientId,
      tokenExpiresAt: null,
      connectedAt: this.clock(),
    };
    return this.enqueue(socket, text, clientId, "scheduled");
  }

  private enqueue(
    socket: SocketAttachment,
    text: string,
    clientId: string | null,
    origin: SocketTurnRequest["origin"],
  ): Promise<ReplyOutcome> {
    this.queued += 1;
    // reply() answers its own failures in an error frame; what escapes it (storage gone) must not stop the
    // queue, or every later message would wait behind a rejected promise forever.
    const run = this.tail
      .then(() => this.reply(socket, text, clientId, origin))
      .catch((err: unknown): ReplyOutcome => {
        createLogger("chat-ws", this.env.LOG_LEVEL).error("socket reply failed", { error: String(err) });
        return { ok: false, status: 500, error: { code: "internal_error", message: "internal error" } };
      });
    this.tail = run.then(
      () => {
        this.queued -= 1;
      },
      () => {
        this.queued -= 1;
      },
    );
    return run;
  }

  closed(ws: WebSocket, code: number): void {
    // Completes the closing handshake; reserved codes (1005/1006) cannot be sent back, so answer 1000.
    closeQuietly(ws, code >= 1000 && code < 1004 ? code : CLOSE_NORMAL, "closed");
  }

  /** The session is gone (expired): every socket is told and closed. */
  endAll(reason: string): void {
    for (const ws of this.ctx.getWebSockets(SOCKET_TAG)) {
      send(ws, disconnectFrame(reason));
      closeQuietly(ws, CLOSE_SESSION_GONE, reason);
    }
  }

  private replay(ws: WebSocket, replyId: string, afterSeq: number): void {
    const frames = this.replies.framesAfter(replyId, afterSeq);
    if (frames === null)
      return send(ws, errorFrame("reply_not_found", "this session holds no such reply", { reply_id: replyId }));
    for (const frame of frames) send(ws, frame);
  }

  private async reply(
    socket: SocketAttachment,
    text: string,
    clientId: string | null,
    origin: SocketTurnRequest["origin"],
  ): Promise<ReplyOutcome> {
    const replyId = crypto.randomUUID();
    let seq = 0;
    const emit = (body: ResponseBody) => {
      const frame = this.frameOf(replyId, seq, body);
      this.replies.append(replyId, seq, frame);
      seq += 1;
      for (const ws of this.ctx.getWebSockets(SOCKET_TAG)) send(ws, frame);
    };
    this.replies.begin(replyId, this.clock());
    emit({ event: "start", message: text, client_id: clientId });
    try {
      const resumed = unwrap(
        await this.resume({
          id: socket.sessionId,
          founderId: socket.caller.founderId,
          workspaceId: socket.caller.workspaceId,
          trustMode: socket.trustMode,
          surface: socket.surface,
          ttlMs: socket.ttlMs,
          create: false,
        }),
      );
      const done = await socketTurns.get()(
        {
          origin,
          caller: socket.caller,
          surface: socket.surface,
          trustMode: socket.trustMode as TrustLevel,
          session: resumed.session,
          message: text,
        },
        {
          env: this.env,
          ctx: this.ctx,
          traceparent: formatTraceparent(startSpan(undefined)),
          onToken: (token) => emit({ event: "token", text: token }),
        },
      );
      emit({ event: "done", ...done });
      this.replies.finish(replyId, "done");
      return { ok: true, done };
    } catch (err) {
      if (!(err instanceof AppError))
        createLogger("chat-ws", this.env.LOG_LEVEL).error("socket reply failed", { error: String(err) });
      const error =
        err instanceof AppError
          ? { code: err.code, message: err.message }
          : { code: "internal_error", message: "internal error" };
      emit({ event: "error", error });
      this.replies.finish(replyId, "error");
      return { ok: false, status: err instanceof AppError ? err.status : 500, error };
    }
  }

  private frameOf(replyId: string, seq: number, body: ResponseBody): string {
    return JSON.stringify({ type: "response", reply_id: replyId, seq, ...body });
  }
}
