/**
 * Discord interactions the chat gateway understands, parsed with zod from a verified body: PING (type 1) is
 * answered `{type: 1}`; the `/ask` slash command (APPLICATION_COMMAND, type 2) is answered at once with
 * `{type: 5}` (DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, "thinking…") because Discord waits only 3 seconds, and the
 * reply follows through the webhook API (followup-client.ts). Anything else gets a short ephemeral message.
 */
import { z } from "zod";

export const InteractionType = { PING: 1, APPLICATION_COMMAND: 2 } as const;
export const ResponseType = {
  PONG: 1,
  CHANNEL_MESSAGE_WITH_SOURCE: 4,
  DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: 5,
} as const;
/** Message flag: only the invoking user sees the message. */
export const EPHEMERAL = 1 << 6;
const STRING_OPTION = 3;

/** The `/ask` command as registered with `PUT /applications/{id}/commands` (global) or per guild. */
export const ASK_COMMAND = {
  name: "ask",
  type: 1,
  description: "Ask your assistant",
  options: [
    {
      type: STRING_OPTION,
      name: "question",
      description: "What do you want to ask?",
      required: true,
      max_length: 2000,
    },
  ],
} as const;

const snowflake = z.string().regex(/^\d{1,20}$/, "must be a snowflake");
const user = z.object({ id: snowflake, username: z.string(), global_name: z.string().nullish() });

const interaction = z.object({
  id: snowflake,
  application_id: snowflake,
  type: z.number().int(),
  token: z.string().min(1),
  version: z.number().int().optional(),
  guild_id: snowflake.optional(),
  channel_id: snowflake.optional(),
  member: z.object({ user }).optional(),
  user: user.optional(),
  data: z
    .object({
      name: z.string(),
      options: z
        .array(z.object({ name: z.string(), type: z.number().int(), value: z.unknown().optional() }))
        .optional(),
    })
    .optional(),
});

export interface AskCommand {
  kind: "ask";
  interactionId: string;
  applicationId: string;
  /** The interaction token: good for 15 minutes of follow-ups; a secret, never logged. */
  token: string;
  question: string;
  user: { id: string; name: string } | null;
  guildId: string | null;
  channelId: string | null;
}

export type ParsedInteraction =
  | { kind: "ping" }
  | AskCommand
  | { kind: "unsupported"; type: number; name: string | null }
  | { kind: "invalid"; issues: { field: string; message: string }[] };

function questionOf(options: { name: string; type: number; value?: unknown }[] | undefined): string | null {
  const strings = (options ?? []).filter((o) => o.type === STRING_OPTION && typeof o.value === "string");
  const chosen = strings.find((o) => o.name === "question") ?? strings[0];
  const text = typeof chosen?.value === "string" ? chosen.value.trim() : "";
  return text === "" ? null : text;
}

/** Parses a verified interaction body (the raw text; JSON that does not parse is `invalid`). */
export function parseInteraction(rawBody: string): ParsedInteraction {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    return { kind: "invalid", issues: [{ field: "body", message: "is not JSON" }] };
  }
  const parsed = interaction.safeParse(json);
  if (!parsed.success)
    return {
      kind: "invalid",
      issues: parsed.error.issues.map((i) => ({
        field: ["body", ...i.path.map(String)].join("."),
        message: i.message,
      })),
    };
  const i = parsed.data;
  if (i.type === InteractionType.PING) return { kind: "ping" };
  const name = i.data?.name ?? null;
  if (i.type !== InteractionType.APPLICATION_COMMAND || name !== ASK_COMMAND.name)
    return { kind: "unsupported", type: i.type, name };
  const question = questionOf(i.data?.options);
  if (question === null)
    return { kind: "invalid", issues: [{ field: "body.data.options", message: "needs a non-empty question" }] };
  const who = i.member?.user ?? i.user;
  return {
    kind: "ask",
    interactionId: i.id,
    applicationId: i.application_id,
    token: i.token,
    question,
    user: who ? { id: who.id, name: who.global_name ?? who.username } : null,
    guildId: i.guild_id ?? null,
    channelId: i.channel_id ?? null,
  };
}

export type InteractionResponse =
  { type: 1 } | { type: 5 } | { type: 4; data: { content: string; flags: number; allowed_mentions: { parse: [] } } };

/** What to answer Discord with at once (the `/ask` answer itself comes later as a follow-up). */
export function interactionResponse(parsed: Exclude<ParsedInteraction, { kind: "invalid" }>): InteractionResponse {
  if (parsed.kind === "ping") return { type: ResponseType.PONG };
  if (parsed.kind === "ask") return { type: ResponseType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE };
  return {
    type: ResponseType.CHANNEL_MESSAGE_WITH_SOURCE,
    data: { content: "I only know the /ask command.", flags: EPHEMERAL, allowed_mentions: { parse: [] } },
  };
}
