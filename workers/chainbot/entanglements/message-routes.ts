/**
 * ChainBot entanglement messages: `POST /api/chainbot/entanglements/{id}/messages` (seed 004's path) sends a
 * private message (with `receiver_id`) or a broadcast; `GET …/messages?member=&cursor=` pages one member's
 * view (broadcasts and its own private messages); `GET …/ws?member=` is the same view live over a
 * WebSocket held by the entanglement's object. A private `task` to an assistant is answered by it.
 */
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { entanglement, socketRequest } from "../../../durable-objects/entanglement-client";
import type { AppEnv } from "../../platform/app-env";
import { requireScope } from "../../platform/auth/middleware";
import { decodeCursor, encodeCursor } from "../../platform/cursor";
import { AppError, unwrap } from "../../platform/errors";
import { bearerSecurity, ErrorSchema, errorResponses, jsonContent } from "../../platform/openapi";
import { createRouter } from "../../platform/validation";
import { auditDetail, auditTrail } from "../audit/record";
import { LIVE_SUBPROTOCOL, LIVE_TOKEN_CARRIERS, withLiveProtocol } from "../live-socket";
import { requireLive } from "./members";
import { presentMessage } from "./present";
import {
  EntanglementIdParamSchema,
  HistoryQuerySchema,
  MessagePageSchema,
  SendMessageSchema,
  SentSchema,
  SocketQuerySchema,
} from "./schemas";

const tags = ["chainbot"];
const resource = (c: Context<AppEnv>) => `entanglements/${c.req.param("id") ?? ""}`;

const send = createRoute({
  method: "post",
  path: "/api/chainbot/entanglements/{id}/messages",
  tags,
  summary: "Send a message: private (sender → receiver_id) or, without receiver_id, a broadcast",
  security: bearerSecurity,
  middleware: [
    auditTrail("entanglement.message.send", { resource }),
    requireScope("chainbot:entanglement:manage"),
  ] as const,
  request: { params: EntanglementIdParamSchema, body: { required: true, ...jsonContent(SendMessageSchema) } },
  responses: {
    201: { description: "Sent", ...jsonContent(SentSchema) },
    ...errorResponses(400, 401, 403, 404, 409, 415),
  },
});

const history = createRoute({
  method: "get",
  path: "/api/chainbot/entanglements/{id}/messages",
  tags,
  summary: "A member's messages, oldest first: broadcasts and its own private ones (all without member)",
  security: bearerSecurity,
  middleware: [
    auditTrail("entanglement.message.read", { failuresOnly: true, resource }),
    requireScope("chainbot:read"),
  ] as const,
  request: { params: EntanglementIdParamSchema, query: HistoryQuerySchema },
  responses: {
    200: { description: "A page of messages", ...jsonContent(MessagePageSchema) },
    ...errorResponses(400, 401, 403, 404),
  },
});

const socket = createRoute({
  method: "get",
  path: "/api/chainbot/entanglements/{id}/ws",
  tags,
  summary: "Live messages over a WebSocket: what `member` may see (all without member)",
  description:
    'Frames: `{"type":"hello","entanglement_id","member"}` once, then `{"type":"message","message":{…}}` per ' +
    'message the member may see. `{"type":"ping"}` is answered `{"type":"pong"}`. Browsers offer the ' +
    `subprotocols \`${LIVE_SUBPROTOCOL}, bearer.<token>\` (answered \`${LIVE_SUBPROTOCOL}\`).`,
  security: bearerSecurity,
  middleware: [
    auditTrail("entanglement.watch", { failuresOnly: true, resource }),
    requireScope("chainbot:read", LIVE_TOKEN_CARRIERS),
  ] as const,
  request: { params: EntanglementIdParamSchema, query: SocketQuerySchema },
  responses: {
    101: { description: "Switched to a WebSocket" },
    ...errorResponses(400, 401, 403, 404),
    426: { description: "The request did not ask for a WebSocket upgrade", ...jsonContent(ErrorSchema) },
  },
});

export const entanglementMessageRoutes = createRouter()
  .openapi(send, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const receiver = body.receiver_id ?? null;
    await requireLive(c.env, [
      { id: body.sender_id, field: "body.sender_id" },
      ...(receiver === null ? [] : [{ id: receiver, field: "body.receiver_id" }]),
    ]);
    const { message } = unwrap(
      await entanglement(c.env, id).send({
        sender_id: body.sender_id,
        receiver_id: receiver,
        message_type: body.message_type,
        content: body.content,
        in_reply_to: body.in_reply_to ?? null,
      }),
    );
    auditDetail(c, {
      message_id: message.id,
      message_type: message.message_type,
      sender_id: message.sender_id,
      receiver_id: message.receiver_id,
    });
    return c.json({ message: presentMessage(message) }, 201);
  })
  .openapi(history, async (c) => {
    const { id } = c.req.valid("param");
    const q = c.req.valid("query");
    const page = unwrap(
      await entanglement(c.env, id).history({
        member: q.member ?? null,
        after: q.cursor ? decodeCursor(q.cursor).ts : 0,
        limit: q.limit,
      }),
    );
    const next = page.next_after === null ? null : encodeCursor({ ts: page.next_after, id: q.member ?? "*" });
    return c.json({ messages: page.messages.map(presentMessage), next_cursor: next }, 200);
  })
  .openapi(socket, async (c) => {
    const { id } = c.req.valid("param");
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket")
      throw new AppError(426, "upgrade_required", "connect with a WebSocket upgrade", undefined, {
        upgrade: "websocket",
      });
    return withLiveProtocol(c, await entanglement(c.env, id).fetch(socketRequest(c.req.valid("query").member ?? null)));
  });
