/**
 * Where `GET /ws` finds the founder's JWT: `Authorization: Bearer` (native clients), else the
 * `Sec-WebSocket-Protocol` entry `access_token.<jwt>` (browsers cannot set headers on a WebSocket), else
 * `?access_token=`. Only the non-secret protocol `botplane.chat` is ever echoed back, and the token is never
 * written anywhere: request logs and the audit log record the path alone, the audit its last four characters.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../platform/app-env";
import { bearerOf } from "../enforcer";

export const WS_PROTOCOL = "botplane.chat";
const TOKEN_PROTOCOL_PREFIX = "access_token.";

function offeredProtocols(c: Context<AppEnv>): string[] {
  const header = c.req.header("sec-websocket-protocol") ?? "";
  return header
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

export function socketCredential(c: Context<AppEnv>): string | null {
  const bearer = bearerOf(c.req.header("authorization"));
  if (bearer !== null) return bearer;
  const fromProtocol = offeredProtocols(c)
    .find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX))
    ?.slice(TOKEN_PROTOCOL_PREFIX.length);
  if (fromProtocol) return fromProtocol;
  const fromQuery = c.req.query("access_token");
  return fromQuery ? fromQuery : null;
}

/** The subprotocol to answer with: `botplane.chat` when offered (a browser fails an offer left unanswered). */
export function echoedProtocol(c: Context<AppEnv>): string | null {
  return offeredProtocols(c).includes(WS_PROTOCOL) ? WS_PROTOCOL : null;
}

/** What the Session object keeps of the token: a stand-in the audit log masks to the same `***abcd`. */
export function credentialHint(token: string): string {
  return token.length <= 8 ? "***" : `********${token.slice(-4)}`;
}
