/**
 * The chat turn a Session object runs for a socket's `message` (the object's `socketTurns` slot, provided by
 * the Worker entry): the same runTurn as `POST /chat` with `"stream": true`, so the reply, the tools, the
 * audit, the stored turns and the transcript are exactly /chat's. The object has already resumed the session
 * (openTurn's part) and hands it over, which saves the turn a round trip to the object it runs in.
 */
import type { SocketCaller, SocketTurnRunner } from "../../../durable-objects/session-socket-contract";
import { createLogger } from "../../platform/logger";
import type { GatewayModel } from "../../platform/model-port";
import { chatSession } from "../../../durable-objects/session-client";
import { runTurn, type TurnRequest } from "../chat-turn";
import type { ChatCaller } from "../claims";
import { enforceChatRate } from "../limits/chat-rate";
import { ceilingFor, type TrustMode } from "../surfaces";

/** An admitted caller as a Session object keeps it (a socket's, or a scheduled prompt's asker): `credential` is what the audit may show. */
export function socketCallerOf(caller: ChatCaller, credential: string): SocketCaller {
  return {
    founderId: caller.founderId,
    workspaceId: caller.workspaceId,
    trustModeMax: caller.trustModeMax,
    scopes: [...caller.scopes],
    surfaces: caller.surfaces === null ? null : [...caller.surfaces],
    credential,
  };
}

export function socketTurnRunner(model: GatewayModel): SocketTurnRunner {
  return async function runSocketTurn(request, deps) {
    const trustModeMax = request.caller.trustModeMax as TrustMode;
    const turn: TurnRequest = {
      admitted: {
        caller: { ...request.caller, trustModeMax },
        surface: request.surface,
        ceiling: ceilingFor(trustModeMax, request.surface),
      },
      sessionId: request.session.id,
      message: request.message,
      trustMode: request.trustMode,
    };
    const opened = { stub: chatSession(deps.env, request.session.id), session: request.session };
    const log = createLogger("chat-ws", deps.env.LOG_LEVEL);
    // A founder's message spends a token as a /chat turn does (429 rate_limited ends the reply in an error frame).
    if (request.origin === "socket") await enforceChatRate(deps.env, request.caller.founderId, request.surface, log);
    return runTurn(turn, opened, {
      env: deps.env,
      ctx: deps.ctx,
      model,
      log,
      traceparent: deps.traceparent,
      onToken: deps.onToken,
    });
  };
}
