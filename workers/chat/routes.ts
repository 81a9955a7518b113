/**
 * The chat gateway's HTTP routes (seed 003): `POST /chat` (a reply with usage and cost, or with
 * `"stream": true` the tokens as Server-Sent Events) and `GET /session/:id` (its owner only). Every request
 * passes the trust enforcer; the model gateway is reached in-process through the `GatewayModel` given here.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { chatSession } from "../../durable-objects/session-client";
import { errorBody, unwrap } from "../platform/errors";
import { logFor } from "../platform/logger";
import { bearerSecurity, errorResponses, jsonContent } from "../platform/openapi";
import { formatTraceparent } from "../platform/trace";
import { createRouter } from "../platform/validation";
import { openTurn, runTurn } from "./chat-turn";
import { admit, chatAuth } from "./enforcer";
import { enforceChatRate } from "./limits/chat-rate";
import type { GatewayModel } from "../platform/model-port";
import { ChatBodySchema, ChatResponseSchema, SessionParamSchema, SessionQuerySchema, SessionSchema } from "./schemas";
import { sseTurn } from "./sse";
import type { TrustMode } from "./surfaces";

const tags = ["chat"];

const chat = createRoute({
  method: "post",
  path: "/chat",
  tags,
  summary: "Send a message to the founder's assistant; the reply with usage and cost (SSE with stream: true)",
  security: bearerSecurity,
  middleware: [chatAuth("chat:write")] as const,
  request: { body: { required: true, ...jsonContent(ChatBodySchema) } },
  responses: {
    200: {
      description: "The reply; with `stream: true`, `token` frames, then a `done` frame with the whole reply",
      content: { "application/json": { schema: ChatResponseSchema }, "text/event-stream": { schema: z.string() } },
    },
    ...errorResponses(400, 401, 403, 404, 415, 429),
  },
});

const session = createRoute({
  method: "get",
  path: "/session/{id}",
  tags,
  summary: "A session's state (its owner only; 404 to anyone else)",
  security: bearerSecurity,
  middleware: [chatAuth("chat:read")] as const,
  request: { params: SessionParamSchema, query: SessionQuerySchema },
  responses: {
    200: { description: "The session", ...jsonContent(SessionSchema) },
    ...errorResponses(400, 401, 403, 404),
  },
});

const iso = (ms: number) => new Date(ms).toISOString();

export function chatRoutes(model: GatewayModel) {
  return createRouter()
    .openapi(chat, async (c) => {
      const body = c.req.valid("json");
      const admitted = await admit(c, "chat:write", body.surface, (body.trust_mode ?? 0) as TrustMode);
      await enforceChatRate(c.env, admitted.caller.founderId, admitted.surface, logFor(c));
      const request = {
        admitted,
        sessionId: body.session_id,
        message: body.message,
        trustMode: (body.trust_mode ?? admitted.ceiling) as TrustMode,
      };
      const deps = {
        env: c.env,
        ctx: c.executionCtx,
        model,
        log: logFor(c),
        traceparent: formatTraceparent(c.get("trace")),
      };
      const opened = await openTurn(request, c.env);
      if (body.stream) return sseTurn(request, opened, deps, errorBody);
      return c.json(await runTurn(request, opened, deps), 200);
    })
    .openapi(session, async (c) => {
      const { id } = c.req.valid("param");
      const { ceiling, caller } = await admit(c, "chat:read", c.req.valid("query").surface);
      const s = unwrap(await chatSession(c.env, id).read(caller.founderId, ceiling)).session;
      return c.json(
        {
          id: s.id,
          founder_id: s.founderId,
          workspace_id: s.workspaceId,
          trust_mode: s.trustMode,
          surface: s.surface,
          summary: s.summary,
          context: s.context.map((t) => ({ role: t.role, content: t.text, at: t.at })),
          created_at: iso(s.createdAt),
          last_active_at: iso(s.lastActiveAt),
          expires_at: iso(s.expiresAt),
        },
        200,
      );
    });
}
