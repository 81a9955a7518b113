/**
 * How the Worker reaches the ResourceCoordinator: one object per ecosystem, typed as its RPC surface. The
 * one accessor for the class.
 */
import type { Env } from "../workers/platform/env";
import { type RpcOf, stubOf } from "../workers/platform/rpc";
import type { ResourceCoordinator } from "./resource-coordinator";

export const ECOSYSTEM = "default";

export type ResourceCoordinatorRpc = RpcOf<ResourceCoordinator>;

export function resourceCoordinator(
  env: Pick<Env, "RESOURCE_COORDINATOR">,
  ecosystem: string = ECOSYSTEM,
): ResourceCoordinatorRpc {
  return stubOf(env.RESOURCE_COORDINATOR, ecosystem);
}
