/**
 * `POST /discord/interactions`, Discord's Interactions Endpoint URL. Not Bearer-authenticated: every request
 * must carry Discord's Ed25519 signature, and any verification failure is 401 with nothing stored (Discord
 * probes this when the URL is saved). PING → `{type: 1}`; `/ask` from a bound Discord user → `{type: 5}`
 * (deferred, "thinking…") at once, the answer produced from the bus (`chat.discord.ask.v1`, ask-handler.ts)
 * so it survives a crash; an unbound user gets an ephemeral "not linked" reply and nothing else, and a bound
 * founder over their `discord` rate bucket (`wb:rate:{founder}:discord`) an ephemeral "slow down" with the
 * wait — no event, no stored token: Discord has no 429 a user would see.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { publish } from "../../platform/bus/publish";
import { createEvent } from "../../platform/bus/envelope";
import { AppError } from "../../platform/errors";
import { logFor } from "../../platform/logger";
import { rateLimited } from "../../platform/metrics/catalog";
import { increment } from "../../platform/metrics/recorder";
import { errorResponses, jsonContent } from "../../platform/openapi";
import { formatTraceparent } from "../../platform/trace";
import { createRouter } from "../../platform/validation";
import { retryAfterSeconds, takeChatToken } from "../limits/chat-rate";
import { askEventId, DISCORD_ASK_SUBJECT, type DiscordAskPayload } from "./ask-event";
import { discordCeiling, resolveBinding } from "./bindings";
import { saveInteractionToken } from "./interaction-tokens";
import { EPHEMERAL, interactionResponse, parseInteraction, ResponseType } from "./interactions";
import { readDiscordSettings } from "./settings";
import { verifyDiscordRequest } from "./verify";

export const NOT_LINKED =
  "Your Discord account is not linked to a botplane founder yet. Ask your operator to link it, then try again.";
/** The ephemeral reply to an `/ask` over the founder's `discord` limit. */
export function slowDown(seconds: number): string {
  return `Slow down — you are asking faster than your limit allows. Try again in ${seconds} s.`;
}
export const NOT_ACCEPTED = "I could not take your question just now. Please try again in a moment.";

const InteractionResponseSchema = z
  .object({
    type: z.number().int(),
    data: z.object({ content: z.string(), flags: z.number().int() }).optional(),
  })
  .openapi("DiscordInteractionResponse");

const interactions = createRoute({
  method: "post",
  path: "/discord/interactions",
  tags: ["chat"],
  summary: "Discord interactions (signed with Ed25519 by Discord; PING and the /ask slash command)",
  description:
    "Verified with `X-Signature-Ed25519` over `X-Signature-Timestamp` + the raw body against DISCORD_PUBLIC_KEY; " +
    "no Bearer token. `/ask` is deferred (type 5) and answered through the interaction webhook.",
  responses: {
    200: { description: "PONG, deferred, or an ephemeral message", ...jsonContent(InteractionResponseSchema) },
    ...errorResponses(400, 401),
  },
});

function ephemeral(content: string) {
  return {
    type: ResponseType.CHANNEL_MESSAGE_WITH_SOURCE,
    data: { content, flags: EPHEMERAL, allowed_mentions: { parse: [] as [] } },
  };
}

export const discordInteractionRoutes = createRouter().openapi(interactions, async (c) => {
  const settings = readDiscordSettings(c.env);
  const verified = await verifyDiscordRequest(c.req.raw, { publicKeyHex: settings.publicKeyHex });
  if (!verified.ok)
    throw new AppError(401, "invalid_signature", `Discord signature refused: ${verified.reason}`, {
      reason: verified.reason,
    });
  const parsed = parseInteraction(verified.rawBody);
  if (parsed.kind === "invalid")
    throw new AppError(400, "invalid_input", `${parsed.issues[0]?.field ?? "body"}: ${parsed.issues[0]?.message}`, {
      issues: parsed.issues,
    });
  if (parsed.kind !== "ask") return c.json(interactionResponse(parsed), 200);
  const binding = parsed.user ? await resolveBinding(c.env, parsed.user.id, parsed.guildId) : null;
  if (!parsed.user || !binding) return c.json(ephemeral(NOT_LINKED), 200);
  const rate = await takeChatToken(c.env, binding.userId, "discord", logFor(c));
  if (rate && !rate.allowed) {
    increment(rateLimited, { limit: "chat" });
    return c.json(ephemeral(slowDown(retryAfterSeconds(rate))), 200);
  }
  const payload: DiscordAskPayload = {
    interaction_id: parsed.interactionId,
    application_id: parsed.applicationId,
    question: parsed.question,
    discord_user_id: parsed.user.id,
    guild_id: parsed.guildId,
    channel_id: parsed.channelId,
    user_id: binding.userId,
    workspace_id: binding.workspaceId,
    trust_mode: discordCeiling(binding),
  };
  try {
    await saveInteractionToken(c.env, parsed.interactionId, parsed.token, Date.now());
    await publish(c.env, [
      createEvent({
        type: DISCORD_ASK_SUBJECT,
        source: "botplane.chat.discord",
        payload,
        eventId: await askEventId(parsed.interactionId),
        traceparent: formatTraceparent(c.get("trace")),
      }),
    ]);
  } catch (err) {
    // Discord shows a 5xx as "the application did not respond": a clear ephemeral word is kinder.
    logFor(c).error("discord ask: not accepted", { error: String(err) });
    return c.json(ephemeral(NOT_ACCEPTED), 200);
  }
  return c.json(interactionResponse(parsed), 200);
});
