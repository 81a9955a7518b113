/**
 * The bus handler that answers a deferred Discord `/ask` (`chat.discord.ask.v1`): one chat turn on surface
 * `discord` in the Discord user's session for that channel, as the founder the Discord user is bound to,
 * then the answer through the interaction webhook (edit @original, follow-ups for the rest).
 *
 * Exactly once: the consumer's ledger skips an event this handler already finished. The one window left — a
 * crash after the answer was posted but before that mark — is closed by claiming `ctx.once` right before
 * posting: a redelivery that finds the claim posts nothing. The claim comes after the turn, so a crash
 * during the turn (the usual failure) is retried and still answered; the price is that a crash between the
 * claim and the post loses that one answer rather than posting it twice.
 */
import { chatSession } from "../../../durable-objects/session-client";
import { PermanentError, type BusHandler } from "../../platform/bus/consumer";
import type { BusEvent } from "../../platform/bus/envelope";
import type { HandlerContext } from "../../platform/bus/handlers";
import type { Env } from "../../platform/env";
import { AppError, unwrap } from "../../platform/errors";
import type { Logger } from "../../platform/logger";
import { formatTraceparent, startSpan } from "../../platform/trace";
import { runTurn, type TurnRequest } from "../chat-turn";
import { chatConfig } from "../config";
import { deferredWork } from "../deferred-work";
import type { GatewayModel } from "../../platform/model-port";
import { DISCORD_ASK_SUBJECT, DiscordAskPayloadSchema, discordSessionId, type DiscordAskPayload } from "./ask-event";
import { sendInteractionAnswer } from "./followup-client";
import { forgetInteractionToken, interactionToken } from "./interaction-tokens";
import { readDiscordSettings } from "./settings";

export const DISCORD_ASK_HANDLER = "chat.discord.ask";
/** What the founder reads when the turn itself failed: the "thinking…" message must not hang forever. */
export const DISCORD_TURN_FAILED = "Sorry, I could not answer that just now. Please try again in a moment.";

async function answerOf(p: DiscordAskPayload, env: Env, model: GatewayModel, log: Logger, traceparent: string) {
  // The Discord signature authenticates the Discord user, not a founder's token: the lowest trust mode.
  const request: TurnRequest = {
    admitted: {
      caller: {
        founderId: p.user_id,
        workspaceId: p.workspace_id,
        trustModeMax: 0,
        scopes: ["chat:write"],
        surfaces: ["discord"],
        credential: `discord:${p.discord_user_id}`,
      },
      surface: "discord",
      ceiling: 0,
    },
    sessionId: await discordSessionId(p),
    message: p.question,
    trustMode: 0,
  };
  const sessionId = request.sessionId ?? "";
  const stub = chatSession(env, sessionId);
  // `create: true` resumes the session when it is live, and starts it again once it has expired.
  const opened = unwrap(
    await stub.open({
      id: sessionId,
      founderId: p.user_id,
      workspaceId: p.workspace_id,
      trustMode: 0,
      surface: "discord",
      ttlMs: chatConfig(env).sessionTtlMs,
      create: true,
    }),
  );
  const ctx = deferredWork();
  try {
    const result = await runTurn(request, { stub, session: opened.session }, { env, ctx, model, log, traceparent });
    return result.reply;
  } finally {
    await ctx.settle();
  }
}

async function onAsk(event: BusEvent, env: Env, log: Logger, ctx: HandlerContext, model: GatewayModel): Promise<void> {
  const parsed = DiscordAskPayloadSchema.safeParse(event.payload);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new PermanentError(
      `${event.type} payload.${first?.path.map(String).join(".") ?? ""}: ${first?.message ?? "invalid"}`,
    );
  }
  const p = parsed.data;
  const traceparent = formatTraceparent(startSpan(event.metadata.traceparent));
  let answer: string;
  try {
    answer = await answerOf(p, env, model, log, traceparent);
  } catch (err) {
    // A refusal (the model gateway's 4xx, a session of another founder) will not change on retry: say so once.
    if (!(err instanceof AppError) || err.status >= 500) throw err;
    log.warn("discord ask: the turn failed", { interaction_id: p.interaction_id, code: err.code });
    answer = DISCORD_TURN_FAILED;
  }
  const token = await interactionToken(env, p.interaction_id, Date.now());
  if (token === null) {
    // Past Discord's 15 minutes (or already answered and forgotten): nothing can be posted any more.
    log.warn("discord ask: the interaction token is gone", { interaction_id: p.interaction_id });
    return;
  }
  if (!(await ctx.once([]))) {
    log.info("discord ask: already answered", { interaction_id: p.interaction_id });
    return;
  }
  const settings = readDiscordSettings(env);
  const sent = await sendInteractionAnswer(
    { baseUrl: settings.apiBaseUrl },
    { applicationId: p.application_id, token },
    answer,
  );
  await forgetInteractionToken(env, p.interaction_id).catch((err: unknown) =>
    log.warn("discord ask: the interaction token was not forgotten (it expires anyway)", { error: String(err) }),
  );
  if (sent.ok)
    log.info("discord ask: answered", { interaction_id: p.interaction_id, messages: sent.messageIds.length });
  // Claimed: a retry would be skipped by the ledger, so a failed post is reported, not thrown.
  else
    log.warn("discord ask: the answer was not delivered", {
      interaction_id: p.interaction_id,
      kind: sent.failure.kind,
      status: sent.failure.status,
      posted: sent.messageIds.length,
    });
}

/** The chat gateway's bus subscriptions, bound to the model gateway by the composition root. */
export function discordBusHandlers(model: GatewayModel): Record<string, BusHandler[]> {
  return {
    [DISCORD_ASK_SUBJECT]: [
      { name: DISCORD_ASK_HANDLER, run: (event, env, log, ctx) => onAsk(event, env, log, ctx, model) },
    ],
  };
}
