/**
 * The Entanglement object's RPC vocabulary (one object per entanglement): its members, private and
 * broadcast messages with the seed's `message_type`s, per-member history, and the slot through which the
 * Worker entry hands the object the domain code that lets an assistant agent answer a `task`.
 */
import { z } from "zod";
import type { Env } from "../workers/platform/env";
import type { Deferrer } from "../workers/platform/model-port";
import { providedSlot } from "../workers/platform/provided";
import { AgentTypeSchema } from "./agent-registry-model";

/** The seed names `task` and `notification`; `response` and `error` are what an answering agent sends back. */
export const MESSAGE_TYPES = ["task", "notification", "response", "error", "data", "status"] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const MAX_CONTENT_CHARS = 32 * 1024;
export const MAX_MEMBERS = 100;

const id = z.string().min(1).max(128);

export const InitSchema = z.object({
  id,
  name: z.string().min(1).max(200),
  description: z.string().max(2000).nullable(),
  created_by: z.string().min(1).max(256),
  created_at: z.number(),
});
export type InitInput = z.infer<typeof InitSchema>;

export const MemberSchema = z.object({ agent_id: id, agent_type: AgentTypeSchema, name: z.string().min(1).max(200) });
export type MemberInput = z.infer<typeof MemberSchema>;

export const SendSchema = z.object({
  sender_id: id,
  /** null: a broadcast to every member. */
  receiver_id: id.nullable(),
  message_type: z.enum(MESSAGE_TYPES),
  content: z.string().min(1).max(MAX_CONTENT_CHARS),
  in_reply_to: id.nullable().optional(),
});
export type SendInput = z.infer<typeof SendSchema>;

export const HistorySchema = z.object({
  /** Whose view: broadcasts plus that member's own private messages; null is the operator's view (all). */
  member: id.nullable(),
  /** Messages after this seq. */
  after: z.number().int().min(0),
  limit: z.number().int().min(1).max(200),
});
export type HistoryInput = z.infer<typeof HistorySchema>;

export interface EntanglementInfo {
  id: string;
  name: string;
  description: string | null;
  created_by: string;
  created_at: number;
}

export interface Member {
  agent_id: string;
  agent_type: z.infer<typeof AgentTypeSchema>;
  name: string;
  joined_at: number;
}

export interface Message {
  id: string;
  seq: number;
  sender_id: string;
  receiver_id: string | null;
  message_type: MessageType;
  content: string;
  in_reply_to: string | null;
  created_at: number;
}

export interface TaskToAnswer {
  entanglement_id: string;
  message_id: string;
  agent_id: string;
  sender_id: string;
  content: string;
}

/** The answer, or why there is none (already masked: it becomes an `error` message members read). */
export type TaskAnswer = { ok: true; content: string } | { ok: false; error: string };

export type AnswerTask = (env: Env, deferrer: Deferrer, task: TaskToAnswer) => Promise<TaskAnswer>;

/** Filled by workers/index.ts with ChainBot's assistant answerer (the model gateway in-process). */
export const agentTaskAnswerer = providedSlot<AnswerTask>("ChainBot's agent task answerer");
