/**
 * The BoTZ gateway's domain model (seed 000): skill levels in order, instance and work item statuses, and the
 * shapes that cross the Worker ↔ BotzRegistry RPC boundary.
 */
export const SKILL_LEVELS = ["basic", "tac_enabled", "mcp_augmented", "agentic"] as const;
export type SkillLevel = (typeof SKILL_LEVELS)[number];

/** 0 for basic … 3 for agentic; an instance may claim items whose rank is at or below its own. */
export function skillRank(level: SkillLevel): number {
  return SKILL_LEVELS.indexOf(level);
}

export const INSTANCE_STATUSES = ["active", "idle", "busy", "draining", "offline", "stale"] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];
/** What a bot may report about itself; `stale` is only ever set by the registry. */
export const REPORTED_STATUSES = ["active", "idle", "busy", "draining", "offline"] as const;
export type ReportedStatus = (typeof REPORTED_STATUSES)[number];

export const WORK_ITEM_STATUSES = ["pending", "claimed", "completed", "failed"] as const;
export type WorkItemStatus = (typeof WORK_ITEM_STATUSES)[number];

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface Instance {
  botz_id: string;
  instance_id: string;
  botz_name: string;
  skill_level: SkillLevel;
  status: InstanceStatus;
  available_mcp_tools: string[];
  runner_host: string | null;
  config_path: string | null;
  metadata: Record<string, Json>;
  current_work_item_id: string | null;
  registered_at: string;
  last_heartbeat_at: string;
  updated_at: string;
}

export interface RegisterInput {
  botz_id: string;
  botz_name: string;
  instance_id: string;
  skill_level: SkillLevel;
  available_mcp_tools: string[];
  runner_host?: string | undefined;
  config_path?: string | undefined;
  metadata: Record<string, Json>;
}

export interface HeartbeatInput {
  botz_id: string;
  status?: ReportedStatus | undefined;
  current_work_item_id?: string | null | undefined;
}

export interface WorkItem {
  work_item_id: string;
  title: string;
  description: string | null;
  integration_name: string | null;
  required_skill_level: SkillLevel;
  priority: number;
  payload: Json;
  status: WorkItemStatus;
  attempts: number;
  claimed_by: string | null;
  session_id: string | null;
  fencing_token: number | null;
  lease_expires_at: string | null;
  claimed_at: string | null;
  completed_at: string | null;
  result: Json;
  error: string | null;
  created_at: string;
  updated_at: string;
}

export interface NewWorkItem {
  title: string;
  description?: string | undefined;
  integration_name?: string | undefined;
  required_skill_level: SkillLevel;
  priority: number;
  payload?: Json | undefined;
}

export interface WorkItemFilter {
  integration_name?: string | undefined;
  skill_level?: SkillLevel | undefined;
  status?: WorkItemStatus | undefined;
  limit: number;
}

export interface ClaimInput {
  botz_id: string;
  work_item_id?: string | undefined;
  session_id?: string | undefined;
  integration_name?: string | undefined;
}

export interface Claim {
  work_item_id: string;
  botz_id: string;
  fencing_token: number;
  lease_expires_at: string;
  required_skill_level: SkillLevel;
  attempt: number;
  work_item: WorkItem;
}

export interface CompleteInput {
  work_item_id: string;
  botz_id: string;
  fencing_token: number;
  status: "completed" | "failed";
  result?: Json | undefined;
  error?: string | undefined;
}

export interface Stats {
  instances: { total: number; by_status: Record<string, number>; by_skill_level: Record<string, number> };
  instances_by_status_and_skill: { status: string; skill_level: string; count: number }[];
  work_items: { total: number; by_status: Record<string, number> };
  claims_last_hour: number;
  mean_claim_to_complete_seconds: number | null;
  generated_at: string;
}
