/**
 * `GET /ws` (seed 003 WebSocket): the chat gateway as a WebSocket. The upgrade passes the trust enforcer
 * exactly as `POST /chat` does (JWT, expiry, surface, scope `chat:write`, trust mode), the token read from the
 * header, the subprotocol or the query (ws-credentials.ts); the session is created or, with `session_id`,
 * resumed under /chat's 404 rules by its Session object, which then owns the socket (hibernation API) and
 * its frames (durable-objects/session-socket-protocol.ts).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { decodeJwt } from "jose";
import { chatSession } from "../../../durable-objects/session-client";
import { SOCKET_OPEN_HEADER, type SocketOpen } from "../../../durable-objects/session-socket-contract";
import { AppError } from "../../platform/errors";
import { bearerSecurity, ErrorSchema, errorResponses, jsonContent } from "../../platform/openapi";
import { createRouter } from "../../platform/validation";
import { chatConfig } from "../config";
import { admit, chatAuth } from "../enforcer";
import { SURFACES, type TrustMode } from "../surfaces";
import { socketCallerOf } from "./socket-turn";
import { credentialHint, echoedProtocol, socketCredential } from "./ws-credentials";

const WsQuerySchema = z
  .object({
    surface: z.enum(SURFACES).default("web"),
    session_id: z.string().uuid().optional(),
    trust_mode: z.coerce.number().int().min(0).max(3).optional(),
    access_token: z.string().max(8192).optional(),
    resume_reply: z.string().uuid().optional(),
    after_seq: z.coerce.number().int().min(-1).optional(),
  })
  .superRefine((q, ctx) => {
    if (q.resume_reply !== undefined && q.session_id === undefined)
      ctx.addIssue({ code: "custom", path: ["resume_reply"], message: "resume_reply needs the session_id it is in" });
  });

const ws = createRoute({
  method: "get",
  path: "/ws",
  tags: ["chat"],
  summary: "Talk to the founder's assistant over a WebSocket (streamed replies shared by every socket of a session)",
  description:
    "Send `Upgrade: websocket` and the founder's JWT as `Authorization: Bearer`, or (browsers) as the subprotocol " +
    "`access_token.<jwt>` beside `botplane.chat` (only `botplane.chat` is echoed), or as `?access_token=`. The " +
    "server sends `connect`; the client sends `message` ({text}), `heartbeat`, `resume` ({reply_id, after_seq}) and " +
    "`disconnect`; every socket of the session gets each reply's `response` frames (`start`, `token`…, then `done` " +
    "or `error`, numbered by `seq`). `resume_reply` + `after_seq` replay a reply from where a socket left it.",
  security: bearerSecurity,
  middleware: [chatAuth("chat:write", socketCredential)] as const,
  request: { query: WsQuerySchema },
  responses: {
    101: { description: "Switched to a WebSocket" },
    ...errorResponses(400, 401, 403, 404),
    426: { description: "The request did not ask for a WebSocket upgrade", ...jsonContent(ErrorSchema) },
  },
});

/** The token's `exp` in ms (the verifier already checked it is in the future). */
function expiryOf(token: string): number | null {
  const exp = decodeJwt(token).exp;
  return typeof exp === "number" ? exp * 1000 : null;
}

export const chatSocketRoutes = createRouter().openapi(ws, async (c) => {
  const q = c.req.valid("query");
  const admitted = await admit(c, "chat:write", q.surface, (q.trust_mode ?? 0) as TrustMode);
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket")
    throw new AppError(426, "upgrade_required", "connect with a WebSocket upgrade", undefined, {
      upgrade: "websocket",
    });
  const token = socketCredential(c) ?? "";
  const { caller } = admitted;
  const sessionId = q.session_id ?? crypto.randomUUID();
  const open: SocketOpen = {
    session: {
      id: sessionId,
      founderId: caller.founderId,
      workspaceId: caller.workspaceId,
      trustMode: q.trust_mode ?? admitted.ceiling,
      surface: admitted.surface,
      ttlMs: chatConfig(c.env).sessionTtlMs,
      create: q.session_id === undefined,
    },
    caller: socketCallerOf(caller, credentialHint(token)),
    tokenExpiresAt: expiryOf(token),
    protocol: echoedProtocol(c),
    resume: q.resume_reply === undefined ? null : { replyId: q.resume_reply, afterSeq: q.after_seq ?? -1 },
  };
  const upgrade = new Request("https://session.internal/ws", {
    headers: { upgrade: "websocket", [SOCKET_OPEN_HEADER]: JSON.stringify(open) },
  });
  return chatSession(c.env, sessionId).fetch(upgrade);
});
