/**
 * ChainBot entanglement API schemas: create, members, messages (private when `receiver_id` is given, else a
 * broadcast) with the seed's `message_type`s, per-member history paged by cursor, and the socket query.
 */
import { z } from "@hono/zod-openapi";
import { AGENT_TYPE_NAMES } from "../../../durable-objects/agent-registry-model";
import { MAX_CONTENT_CHARS, MESSAGE_TYPES } from "../../../durable-objects/entanglement-contract";

const agentId = z.uuid().openapi({ example: "5d3c1a2b-8e4f-4a6b-9c0d-1e2f3a4b5c6d" });

export const EntanglementIdParamSchema = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" }, example: "0b7c6c4e-3f0e-4d2a-9a57-1f6f5e3c2b1a" }),
});

export const MemberParamSchema = EntanglementIdParamSchema.extend({
  agent_id: agentId.openapi({ param: { name: "agent_id", in: "path" } }),
});

export const CreateEntanglementSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).openapi({ example: "Data Analysis Team" }),
    description: z.string().max(2000).optional().openapi({ example: "Team of agents for data analysis" }),
    agent_ids: z.array(agentId).max(50).default([]).openapi({ description: "Agents to add at once" }),
  })
  .openapi("ChainbotCreateEntanglement");

export const AddMemberSchema = z.strictObject({ agent_id: agentId }).openapi("ChainbotAddMember");

export const SendMessageSchema = z
  .strictObject({
    sender_id: agentId,
    receiver_id: agentId.optional().openapi({ description: "A private message; absent → a broadcast" }),
    content: z.string().min(1).max(MAX_CONTENT_CHARS).openapi({ example: "Process this data segment" }),
    message_type: z.enum(MESSAGE_TYPES).default("notification"),
    in_reply_to: z.uuid().optional(),
  })
  .refine((b) => b.receiver_id !== b.sender_id, {
    path: ["receiver_id"],
    message: "must differ from sender_id",
  })
  .openapi("ChainbotSendMessage");

export const MessageSchema = z
  .object({
    id: z.string(),
    seq: z.number().int(),
    kind: z.enum(["private", "broadcast"]),
    sender_id: z.string(),
    receiver_id: z.string().nullable(),
    message_type: z.enum(MESSAGE_TYPES),
    content: z.string(),
    in_reply_to: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("ChainbotMessage");

export const MemberSchema = z.object({
  agent_id: z.string(),
  agent_type: z.enum(AGENT_TYPE_NAMES),
  name: z.string(),
  joined_at: z.string(),
});

export const EntanglementSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    created_by: z.string(),
    created_at: z.string(),
    members: z.array(MemberSchema),
    message_count: z.number().int(),
  })
  .openapi("ChainbotEntanglement");

export const EntanglementSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  created_by: z.string(),
  created_at: z.string(),
});

export const EntanglementListSchema = z
  .object({ entanglements: z.array(EntanglementSummarySchema), next_cursor: z.string().nullable() })
  .openapi("ChainbotEntanglementList");

export const ListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).optional(),
});

export const HistoryQuerySchema = ListQuerySchema.extend({
  member: agentId
    .optional()
    .openapi({ description: "That member's view: broadcasts and its own private messages; absent → all" }),
});

export const SocketQuerySchema = z.object({ member: agentId.optional() });

export const MessagePageSchema = z
  .object({ messages: z.array(MessageSchema), next_cursor: z.string().nullable() })
  .openapi("ChainbotMessagePage");

export const SentSchema = z.object({ message: MessageSchema }).openapi("ChainbotSent");
