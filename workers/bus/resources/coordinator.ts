/**
 * How the Worker reaches the ResourceCoordinator: one object per ecosystem, typed as plain promises.
 */
import type { ResourceCoordinator } from "../../../durable-objects/resource-coordinator";
import type { Env } from "../../platform/env";

export const ECOSYSTEM = "default";

type Method = (...args: never[]) => unknown;

/**
 * The coordinator's public methods as plain promises: workers-types' `Rpc.*` mapping is too deep for tsc on
 * these results, and structured clone carries exactly these values.
 */
export type ResourceCoordinatorRpc = {
  [K in keyof ResourceCoordinator as ResourceCoordinator[K] extends Method ? K : never]: ResourceCoordinator[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

export function coordinator(env: Env): ResourceCoordinatorRpc {
  return env.RESOURCE_COORDINATOR.getByName(ECOSYSTEM) as unknown as ResourceCoordinatorRpc;
}
