/** Entanglements and messages as the API shows them: ISO times, and whether a message is private. */
import type { z } from "@hono/zod-openapi";
import type { EntanglementInfo, Member, Message } from "../../../durable-objects/entanglement-contract";
import type { EntanglementSchema, MessageSchema } from "./schemas";

const iso = (ms: number) => new Date(ms).toISOString();

export function presentMessage(m: Message): z.infer<typeof MessageSchema> {
  return {
    id: m.id,
    seq: m.seq,
    kind: m.receiver_id === null ? "broadcast" : "private",
    sender_id: m.sender_id,
    receiver_id: m.receiver_id,
    message_type: m.message_type,
    content: m.content,
    in_reply_to: m.in_reply_to,
    created_at: iso(m.created_at),
  };
}

export function presentInfo(info: EntanglementInfo) {
  return { ...info, created_at: iso(info.created_at) };
}

export function presentEntanglement(
  info: EntanglementInfo,
  members: Member[],
  messages: number,
): z.infer<typeof EntanglementSchema> {
  return {
    ...presentInfo(info),
    members: members.map((m) => ({ ...m, joined_at: iso(m.joined_at) })),
    message_count: messages,
  };
}
