/**
 * The AgentRegistry object's RPC vocabulary: ChainBot agents (seed 004's four types) and the directory of
 * entanglements. Every argument is parsed with these schemas inside the object; the agent's `config` is
 * checked per type by the ChainBot routes before it gets here and is kept as given (secrets included: the
 * routes mask it on the way out, and events never carry it).
 */
import { z } from "zod";

/** The seed's agent types, verbatim. */
export const AGENT_TYPE_NAMES = ["assistant", "data_processor", "api", "workflow"] as const;
export type AgentType = (typeof AGENT_TYPE_NAMES)[number];

export const AGENT_STATUSES = ["idle", "working", "terminated"] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

const id = z.string().min(1).max(128);

export const AgentTypeSchema = z.enum(AGENT_TYPE_NAMES);

export const SpawnSchema = z.object({
  agent_type: z.enum(AGENT_TYPE_NAMES),
  name: z.string().min(1).max(200),
  config: z.record(z.string(), z.unknown()),
  created_by: z.string().min(1).max(256),
  /** The limits in force (loadChainbotConfig), checked in the same transaction as the insert. */
  limits: z.object({
    types: z.array(z.enum(AGENT_TYPE_NAMES)),
    max_instances_per_type: z.number().int().min(1),
    max_total_instances: z.number().int().min(1),
  }),
  traceparent: z.string().max(256).optional(),
});
export type SpawnInput = z.infer<typeof SpawnSchema>;

export const AgentListSchema = z.object({
  agent_type: z.enum(AGENT_TYPE_NAMES).optional(),
  status: z.enum(AGENT_STATUSES).optional(),
  limit: z.number().int().min(1).max(1000),
  /** The last agent of the previous page: (created_at, id). */
  after: z.object({ created_at: z.number(), id }).optional(),
});
export type AgentListInput = z.infer<typeof AgentListSchema>;

export const AgentIdSchema = id;

export const AgentIdsSchema = z.array(id).max(100);

export const EntanglementEntrySchema = z.object({
  id,
  name: z.string().min(1).max(200),
  description: z.string().max(2000).nullable(),
  created_by: z.string().min(1).max(256),
  created_at: z.number(),
});
export type EntanglementEntry = z.infer<typeof EntanglementEntrySchema>;

export const EntanglementListSchema = z.object({
  limit: z.number().int().min(1).max(1000),
  after: z.object({ created_at: z.number(), id }).optional(),
});

export interface Agent {
  id: string;
  agent_type: AgentType;
  name: string;
  config: Record<string, unknown>;
  status: AgentStatus;
  /** Tasks the agent is running now; `working` while above zero. */
  busy: number;
  created_by: string;
  created_at: number;
  updated_at: number;
  terminated_at: number | null;
}
