/**
 * How the Worker reaches the ResourceCoordinator: one object per ecosystem, typed as plain promises.
 */
import type { ResourceCoordinator } from "../../../durable-objects/resource-coordinator";
import type { Env } from "../../platform/env";
import { type RpcOf, stubOf } from "../../platform/rpc";

export const ECOSYSTEM = "default";

export type ResourceCoordinatorRpc = RpcOf<ResourceCoordinator>;

export function coordinator(env: Env): ResourceCoordinatorRpc {
  return stubOf(env.RESOURCE_COORDINATOR, ECOSYSTEM);
}
