/**
 * How the Worker reaches the ResourceCoordinator: the object's one accessor, under the name this domain uses.
 */
export {
  ECOSYSTEM,
  resourceCoordinator as coordinator,
  type ResourceCoordinatorRpc,
} from "../../durable-objects/resource-coordinator-client";
