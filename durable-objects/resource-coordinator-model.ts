/**
 * The resource coordinator's domain model (seed 002 `ResourceRequest`/`ResourceType`/priorities), shared by
 * the ResourceCoordinator Durable Object and the Worker's routes so both speak the same shapes over RPC.
 */
export const RESOURCE_TYPES = ["GPU_COMPUTE", "MEMORY_MB", "CLAUDE_API_TOKENS"] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** Lowest first: a priority's index is its rank, and aging adds to the rank. */
export const PRIORITIES = ["LOW", "NORMAL", "HIGH", "CRITICAL"] as const;
export type Priority = (typeof PRIORITIES)[number];

export const REQUEST_STATUSES = ["waiting", "granted", "expired", "cancelled"] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export const MAX_RANK = PRIORITIES.length - 1;

export function priorityRank(p: Priority): number {
  return PRIORITIES.indexOf(p);
}

export function priorityAt(rank: number): Priority {
  return PRIORITIES[Math.max(0, Math.min(MAX_RANK, rank))] ?? "LOW";
}

export interface ResourceRequestInput {
  component: string;
  type: ResourceType;
  amount: number;
  duration_ms: number;
  priority: Priority;
}

export interface Grant {
  grant_id: string;
  request_id: string;
  component: string;
  type: ResourceType;
  amount: number;
  priority: Priority;
  granted_at: string;
  expires_at: string;
  /** Set once the grant has ended, by release or by expiry. */
  released_at: string | null;
  status: "active" | "released" | "expired";
}

export interface Waiter {
  request_id: string;
  component: string;
  type: ResourceType;
  amount: number;
  duration_ms: number;
  priority: Priority;
  effective_priority: Priority;
  requested_at: string;
  /** 1-based place in its resource type's queue. */
  position: number;
}

export interface RequestView {
  request_id: string;
  component: string;
  type: ResourceType;
  amount: number;
  duration_ms: number;
  priority: Priority;
  status: RequestStatus;
  requested_at: string;
  updated_at: string;
  /** Only while waiting. */
  effective_priority: Priority | null;
  position: number | null;
  grant: Grant | null;
}

export type RequestOutcome =
  { outcome: "granted"; grant: Grant } | { outcome: "waiting"; request_id: string; position: number };

export interface TypeStatus {
  type: ResourceType;
  capacity: number;
  granted: number;
  available: number;
  waiting: number;
}

export interface ResourceStatus {
  resources: TypeStatus[];
  grants: Grant[];
  waiters: Waiter[];
  generated_at: string;
}
