/**
 * The bus handler that answers a deferred Discord `/ask` (`chat.discord.ask.v1`): one chat turn on surface
 * `discord` in the Discord user's session for that channel, as the founder the Discord user is bound to,
 * then the answer through the interaction webhook (edit @original, follow-ups for the rest).
 *
 * Exactly one answer: the surface policy caps a Discord reply at 2,000 characters, so the answer is one edit
 * of @original, and an edit is idempotent: a redelivery (the process died after posting, before the
 * consumer's ledger marked the event) edits the message again with the same text, which the row keeps once
 * the turn produced it, so the model is not asked twice. A transient failure to post is thrown and retried
 * while the 15-minute token lasts; the token is forgotten once the answer went out.
 */
import { chatSession } from "../../../durable-objects/session-client";
import { PermanentError, type BusHandler } from "../../platform/bus/consumer";
import type { BusEvent } from "../../platform/bus/envelope";
import type { Env } from "../../platform/env";
import { AppError, unwrap } from "../../platform/errors";
import type { Logger } from "../../platform/logger";
import { formatTraceparent, startSpan } from "../../platform/trace";
import { runTurn, type TurnRequest } from "../chat-turn";
import { chatConfig } from "../config";
import { ceilingFor, type TrustMode } from "../surfaces";
import { deferredWork } from "../deferred-work";
import type { GatewayModel } from "../../platform/model-port";
import { DISCORD_ASK_SUBJECT, DiscordAskPayloadSchema, discordSessionId, type DiscordAskPayload } from "./ask-event";
import { sendInteractionAnswer } from "./followup-client";
import { forgetInteractionToken, keepInteractionAnswer, pendingInteraction } from "./interaction-tokens";
import { readDiscordSettings } from "./settings";

export const DISCORD_ASK_HANDLER = "chat.discord.ask";
/** What the founder reads when the turn itself failed: the "thinking…" message must not hang forever. */
export const DISCORD_TURN_FAILED = "Sorry, I could not answer that just now. Please try again in a moment.";

async function answerOf(p: DiscordAskPayload, env: Env, model: GatewayModel, log: Logger, traceparent: string) {
  // The Discord signature authenticates the Discord user, not a founder's token: the session opens at the
  // trust mode the operator gave the binding, capped again by the surface in case the event is old.
  const trustMode = ceilingFor(p.trust_mode as TrustMode, "discord");
  const request: TurnRequest = {
    admitted: {
      caller: {
        founderId: p.user_id,
        workspaceId: p.workspace_id,
        trustModeMax: trustMode,
        scopes: ["chat:write"],
        surfaces: ["discord"],
        credential: `discord:${p.discord_user_id}`,
      },
      surface: "discord",
      ceiling: trustMode,
    },
    sessionId: await discordSessionId(p),
    message: p.question,
    trustMode,
  };
  const sessionId = request.sessionId ?? "";
  const stub = chatSession(env, sessionId);
  // `create: true` resumes the session when it is live, and starts it again once it has expired.
  const opened = unwrap(
    await stub.open({
      id: sessionId,
      founderId: p.user_id,
      workspaceId: p.workspace_id,
      trustMode,
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

async function onAsk(event: BusEvent, env: Env, log: Logger, model: GatewayModel): Promise<void> {
  const parsed = DiscordAskPayloadSchema.safeParse(event.payload);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new PermanentError(
      `${event.type} payload.${first?.path.map(String).join(".") ?? ""}: ${first?.message ?? "invalid"}`,
    );
  }
  const p = parsed.data;
  const pending = await pendingInteraction(env, p.interaction_id, Date.now());
  if (pending === null) {
    // Past Discord's 15 minutes, or answered and forgotten: nothing can be posted any more.
    log.warn("discord ask: the interaction token is gone", { interaction_id: p.interaction_id });
    return;
  }
  let answer = pending.answer;
  if (answer === null) {
    const traceparent = formatTraceparent(startSpan(event.metadata.traceparent));
    try {
      answer = await answerOf(p, env, model, log, traceparent);
    } catch (err) {
      // A refusal (the model gateway's 4xx, a session of another founder) will not change on retry: say so once.
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      log.warn("discord ask: the turn failed", { interaction_id: p.interaction_id, code: err.code });
      answer = DISCORD_TURN_FAILED;
    }
    await keepInteractionAnswer(env, p.interaction_id, answer);
  }
  const settings = readDiscordSettings(env);
  const sent = await sendInteractionAnswer(
    { baseUrl: settings.apiBaseUrl },
    { applicationId: p.application_id, token: pending.token },
    answer,
  );
  if (!sent.ok && sent.failure.retryable)
    throw new Error(`Discord answer not posted (${sent.failure.kind}): ${sent.failure.message}`);
  await forgetInteractionToken(env, p.interaction_id).catch((err: unknown) =>
    log.warn("discord ask: the interaction token was not forgotten (it expires anyway)", { error: String(err) }),
  );
  if (sent.ok)
    log.info("discord ask: answered", { interaction_id: p.interaction_id, messages: sent.messageIds.length });
  else
    log.warn("discord ask: the answer was refused", {
      interaction_id: p.interaction_id,
      kind: sent.failure.kind,
      status: sent.failure.status,
      posted: sent.messageIds.length,
    });
}

/** The chat gateway's bus subscriptions, bound to the model gateway by the composition root. */
export function discordBusHandlers(model: GatewayModel): Record<string, BusHandler[]> {
  return {
    [DISCORD_ASK_SUBJECT]: [{ name: DISCORD_ASK_HANDLER, run: (event, env, log) => onAsk(event, env, log, model) }],
  };
}
