/**
 * How a browser opens ChainBot's live sockets (an execution's `/live`, an entanglement's `/ws`): it cannot set
 * an Authorization header on a WebSocket, so it offers `botplane.chainbot, bearer.<token>` as subprotocols.
 * Only the non-secret `botplane.chainbot` is echoed (a browser fails an offer left unanswered); the token is
 * never echoed, logged or put in a URL.
 */
import type { Context } from "hono";
import type { AppEnv } from "../platform/app-env";
import type { RequireScopeOptions } from "../platform/auth/middleware";

export const LIVE_SUBPROTOCOL = "botplane.chainbot";

/** The token carriers the live routes accept beside the headers: the `bearer.<token>` subprotocol only. */
export const LIVE_TOKEN_CARRIERS: RequireScopeOptions = { tokenCarriers: ["websocket-protocol"] };

function offersLiveProtocol(c: Context<AppEnv>): boolean {
  return (c.req.header("sec-websocket-protocol") ?? "").split(",").some((p) => p.trim() === LIVE_SUBPROTOCOL);
}

/** The object's 101, answering `botplane.chainbot` when the client offered it. */
export function withLiveProtocol(c: Context<AppEnv>, upgraded: Response): Response {
  if (!offersLiveProtocol(c) || upgraded.status !== 101 || !upgraded.webSocket) return upgraded;
  return new Response(null, {
    status: 101,
    webSocket: upgraded.webSocket,
    headers: { "sec-websocket-protocol": LIVE_SUBPROTOCOL },
  });
}
