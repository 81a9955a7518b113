/**
 * How Worker code reaches an entanglement's object (one per entanglement id), and the request the socket
 * route forwards once the caller's scope checked out.
 */
import type { Env } from "../workers/platform/env";
import { type RpcOf, stubOf } from "../workers/platform/rpc";
import type { Entanglement } from "./entanglement";

export type EntanglementRpc = RpcOf<Entanglement>;

export function entanglement(env: Pick<Env, "ENTANGLEMENT">, id: string): EntanglementRpc {
  return stubOf(env.ENTANGLEMENT, id);
}

/** The upgrade the object accepts: only the member whose view to show travels. */
export function socketRequest(member: string | null): Request {
  const url = new URL("/ws", "https://entanglement.internal");
  if (member !== null) url.searchParams.set("member", member);
  return new Request(url, { headers: { upgrade: "websocket" } });
}
