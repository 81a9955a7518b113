/**
 * What the Worker's `GET /ws` hands the Session object with a WebSocket upgrade (the caller the enforcer
 * admitted, the session to open, an optional resume point), what each hibernatable socket keeps in its
 * attachment, and the slot through which the object runs one chat turn: the turn is domain code
 * (workers/chat/), which an object may not import, so the Worker entry provides it.
 */
import { z } from "zod";
import type { Env } from "../workers/platform/env";
import type { Deferrer } from "../workers/platform/model-port";
import { providedSlot } from "../workers/platform/provided";
import { OpenSessionSchema, SESSION_SURFACES, type SessionState } from "./session-contract";

/** The internal header carrying the admitted upgrade from the Worker to the object (never from a client). */
export const SOCKET_OPEN_HEADER = "x-botplane-socket-open";
export const SOCKET_TAG = "chat";

const trustMode = z.number().int().min(0).max(3);

export const SocketCallerSchema = z.object({
  founderId: z.string().min(1).max(128),
  workspaceId: z.string().min(1).max(128),
  trustModeMax: trustMode,
  scopes: z.array(z.string().max(64)).max(64),
  surfaces: z.array(z.enum(SESSION_SURFACES)).nullable(),
  /** Only what the audit log shows of the token (its last four characters): the token itself stays out of storage. */
  credential: z.string().max(16),
});

export const ResumePointSchema = z.object({
  replyId: z.string().uuid(),
  /** Frames with a greater seq are replayed; -1 replays the reply from its `start` frame. */
  afterSeq: z.number().int().min(-1),
});

export const SocketOpenSchema = z.object({
  session: OpenSessionSchema,
  caller: SocketCallerSchema,
  /** The token's `exp` in ms: a socket outliving its token is told so and closed at its next message. */
  tokenExpiresAt: z.number().int().nullable(),
  /** The subprotocol the client offered and the object echoes (`botplane.chat`), if any. */
  protocol: z.string().max(64).nullable(),
  resume: ResumePointSchema.nullable(),
});

export const SocketAttachmentSchema = z.object({
  connectionId: z.string(),
  sessionId: z.string(),
  caller: SocketCallerSchema,
  surface: z.enum(SESSION_SURFACES),
  trustMode,
  tokenExpiresAt: z.number().int().nullable(),
  /** The session TTL the Worker opened it with, renewed by every message. */
  ttlMs: z.number().int(),
  connectedAt: z.number().int(),
});

/** Who a turn no socket sent runs as (`Session.prompt`): the fields of a socket's attachment it needs. */
export const SocketTurnAskerSchema = z.object({
  sessionId: z.string().min(1).max(128),
  caller: SocketCallerSchema,
  surface: z.enum(SESSION_SURFACES),
  trustMode,
  ttlMs: z.number().int().positive(),
});

export const PromptSchema = z.object({
  asker: SocketTurnAskerSchema,
  message: z.string().min(1).max(32_000),
  /** Shown as the reply's `client_id` in its `start` frame, e.g. `scheduled:<job id>`. */
  clientId: z.string().min(1).max(128),
});

export type SocketCaller = z.infer<typeof SocketCallerSchema>;
export type SocketTurnAsker = z.infer<typeof SocketTurnAskerSchema>;
export type PromptInput = z.infer<typeof PromptSchema>;
export type SocketOpen = z.infer<typeof SocketOpenSchema>;
export type SocketAttachment = z.infer<typeof SocketAttachmentSchema>;

/** The turn's final result: the same fields as `POST /chat`'s answer. */
export interface SocketTurnDone {
  session_id: string;
  reply: string;
  trust_mode: number;
  surface: string;
  usage: { input_tokens: number; output_tokens: number };
  cost_usd: number | null;
  model: { variant: string; provider: string; model: string } | null;
  tool_calls: { name: string; status: "ok" | "not_allowed" | "error" }[];
  context: { turns: number; folded: number; summarized: boolean };
}

export interface SocketTurnRequest {
  /** A founder's message spends a token of their surface's rate limit; a scheduled prompt does not. */
  origin: "socket" | "scheduled";
  caller: SocketCaller;
  surface: (typeof SESSION_SURFACES)[number];
  trustMode: 0 | 1 | 2 | 3;
  /** The session as the object just resumed it for this message (no second round trip to read it). */
  session: SessionState;
  message: string;
}

export interface SocketTurnDeps {
  env: Env;
  ctx: Deferrer;
  traceparent: string;
  /** Each text delta of the reply, in order, as the model streams it. */
  onToken: (text: string) => void;
}

/** One chat turn, exactly as `POST /chat` runs it; throws AppError for what the caller should see. */
export type SocketTurnRunner = (request: SocketTurnRequest, deps: SocketTurnDeps) => Promise<SocketTurnDone>;

export const socketTurns = providedSlot<SocketTurnRunner>("the Session socket's chat turn");
