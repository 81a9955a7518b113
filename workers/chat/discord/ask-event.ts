/**
 * The bus event a verified, bound `/ask` becomes (`chat.discord.ask.v1`), and the deterministic ids it uses:
 * the event id comes from the interaction id, so a Discord retry of one interaction is one event (partitions
 * de-duplicate by event_id), and the session id from founder + Discord user + guild + channel, so each
 * Discord user keeps one conversation per channel (a UUID, like every other chat session id). The interaction
 * token is not in the payload: it waits in D1 (interaction-tokens.ts), out of the readable event history.
 */
import { z } from "zod";

export const DISCORD_ASK_SUBJECT = "chat.discord.ask.v1";

const snowflake = z.string().regex(/^\d{1,20}$/);

export const DiscordAskPayloadSchema = z.object({
  interaction_id: snowflake,
  application_id: snowflake,
  question: z.string().min(1).max(4000),
  discord_user_id: snowflake,
  guild_id: snowflake.nullable(),
  channel_id: snowflake.nullable(),
  user_id: z.string().min(1).max(128),
  workspace_id: z.string().min(1).max(128),
  /** The binding's trust mode, already capped by the `discord` surface (absent in events before it existed). */
  trust_mode: z.number().int().min(0).max(3).default(0),
});

export type DiscordAskPayload = z.infer<typeof DiscordAskPayloadSchema>;

/** A UUID (version 8, "custom") from the SHA-256 of `name`: the same name always gives the same id. */
export async function uuidOf(name: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(name)));
  const b = digest.slice(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x80;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function askEventId(interactionId: string): Promise<string> {
  return uuidOf(`discord-interaction:${interactionId}`);
}

export function discordSessionId(
  p: Pick<DiscordAskPayload, "user_id" | "discord_user_id" | "guild_id" | "channel_id">,
) {
  return uuidOf(`discord-session:${p.user_id}:${p.discord_user_id}:${p.guild_id ?? ""}:${p.channel_id ?? ""}`);
}
