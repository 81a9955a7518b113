/**
 * How the Worker reaches the BoTZ registry: one object per ecosystem, typed as its RPC surface. The one
 * accessor for the class; domain code imports it (or its re-export in workers/botz/registry.ts).
 */
import type { Env } from "../workers/platform/env";
import { type RpcOf, stubOf } from "../workers/platform/rpc";
import type { BotzRegistry } from "./botz-registry";

export const ECOSYSTEM = "default";

export type BotzRegistryRpc = RpcOf<BotzRegistry>;

export function botzRegistry(env: Pick<Env, "BOTZ_REGISTRY">, ecosystem: string = ECOSYSTEM): BotzRegistryRpc {
  return stubOf(env.BOTZ_REGISTRY, ecosystem);
}
