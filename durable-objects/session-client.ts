/**
 * How the chat gateway reaches a session's object: a typed stub named by the session id.
 */
import type { Env } from "../workers/platform/env";
import { type RpcOf, stubOf } from "../workers/platform/rpc";
import type { Session } from "./session";

export type SessionRpc = RpcOf<Session>;

export function chatSession(env: Pick<Env, "CHAT_SESSION">, sessionId: string): SessionRpc {
  return stubOf(env.CHAT_SESSION, sessionId);
}
