/**
 * The bus handler that answers an inbound SMS (`chat.sms.received.v1`, published by sms-routes.ts): one chat
 * turn on surface `sms` in the phone binding's session (the same turn logic as `POST /chat`), then the reply
 * through the Twilio REST Messages API, split into segments. Exactly one reply per MessageSid: the
 * `sms_inbound` row is claimed with a lease before the turn (two deliveries of one event never both run),
 * keeps the reply once produced (a retry after a failed send does not ask the model again) and is marked
 * sent. A crash between Twilio accepting the message and that mark is the one window where a redelivery
 * could send twice; Twilio's Messages API has no idempotency key to close it.
 */
import { and, eq, isNull, lt, or } from "drizzle-orm";
import { z } from "zod";
import { NotReadyError, PermanentError, type BusHandler } from "../../platform/bus/consumer";
import type { BusEvent } from "../../platform/bus/envelope";
import { createDb } from "../../platform/db/client";
import { smsInbound } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import { AppError } from "../../platform/errors";
import type { Logger } from "../../platform/logger";
import { openTurn, runTurn, type TurnRequest } from "../chat-turn";
import { maskPhones } from "../mask";
import type { ChatModel, Deferrer } from "../model-port";
import type { TrustMode } from "../surfaces";
import { sendSms } from "./messages-client";
import { bindingCeiling, findBinding, setBindingSession, setOptOut, type PhoneBindingRow } from "./phone-bindings";
import { readTwilioSettings } from "./settings";
import { SMS_RECEIVED } from "./sms-accept";

const HANDLER = "chat.sms.reply";
/** Long enough for a model turn with tools; after it a stuck claim (a crashed consumer) is taken over. */
const CLAIM_LEASE_MS = 5 * 60_000;

const PayloadSchema = z.object({
  message_sid: z.string().min(1),
  phone: z.string().min(1),
  body: z.string(),
});

/** Work the turn defers (metrics, logs) is awaited before the handler returns: a queue handler has no waitUntil. */
function collector(): Deferrer & { settle(): Promise<void> } {
  const pending: Promise<unknown>[] = [];
  return {
    waitUntil: (p) => void pending.push(p),
    settle: async () => void (await Promise.allSettled(pending)),
  };
}

async function produceReply(
  env: Env,
  model: ChatModel,
  binding: PhoneBindingRow,
  text: string,
  event: BusEvent,
  log: Logger,
): Promise<string> {
  const ceiling = bindingCeiling(binding);
  const request = (sessionId: string | undefined): TurnRequest => ({
    admitted: {
      caller: {
        founderId: binding.userId,
        workspaceId: binding.workspaceId,
        trustModeMax: binding.trustMode as TrustMode,
        scopes: ["chat:write"],
        surfaces: ["sms"],
        credential: "",
      },
      surface: "sms",
      ceiling,
    },
    sessionId,
    message: text,
    trustMode: ceiling,
  });
  let req = request(binding.sessionId ?? undefined);
  const opened = await openTurn(req, env).catch((err: unknown) => {
    // The number's session expired (TTL) or is gone: the conversation starts a new one.
    if (!(err instanceof AppError) || err.status !== 404) throw err;
    req = request(undefined);
    return openTurn(req, env);
  });
  const ctx = collector();
  try {
    const result = await runTurn(req, opened, {
      env,
      ctx,
      model,
      log,
      traceparent: event.metadata.traceparent ?? "",
    });
    if (result.session_id !== binding.sessionId) await setBindingSession(env, binding.phone, result.session_id);
    return result.reply;
  } finally {
    await ctx.settle();
  }
}

async function replyToSms(event: BusEvent, env: Env, log: Logger, model: ChatModel): Promise<void> {
  const parsed = PayloadSchema.safeParse(event.payload);
  if (!parsed.success) throw new PermanentError(`${event.type}: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  const { message_sid: sid, phone, body } = parsed.data;
  const fields = { message_sid: sid, phone: maskPhones(phone) };
  const settings = readTwilioSettings(env);
  if (!settings.accountSid || !settings.authToken || (!settings.from && !settings.messagingServiceSid))
    throw new PermanentError("Twilio is not configured: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and a sender");
  const db = createDb(env.DB);
  const now = Date.now();
  const [claimed] = await db
    .update(smsInbound)
    .set({ claimedAt: now })
    .where(
      and(
        eq(smsInbound.messageSid, sid),
        isNull(smsInbound.sentAt),
        or(isNull(smsInbound.claimedAt), lt(smsInbound.claimedAt, now - CLAIM_LEASE_MS)),
      ),
    )
    .returning({ reply: smsInbound.reply });
  if (!claimed) {
    const [row] = await db.select().from(smsInbound).where(eq(smsInbound.messageSid, sid));
    if (!row) throw new PermanentError(`${event.type}: no sms_inbound row for ${sid}`);
    if (row.sentAt !== null) return log.info("sms reply already sent", fields);
    throw new NotReadyError(`${event.type}: ${sid} is being answered by another delivery`);
  }
  const release = () => db.update(smsInbound).set({ claimedAt: null }).where(eq(smsInbound.messageSid, sid));
  const binding = await findBinding(env, phone);
  if (!binding || binding.optedOutAt !== null) {
    await db.update(smsInbound).set({ sentAt: now }).where(eq(smsInbound.messageSid, sid));
    return log.info("sms not answered: the number was unbound or opted out meanwhile", fields);
  }
  let reply = claimed.reply;
  if (reply === null) {
    try {
      reply = await produceReply(env, model, binding, body, event, log);
    } catch (err) {
      await release();
      throw err;
    }
    await db.update(smsInbound).set({ reply }).where(eq(smsInbound.messageSid, sid));
  }
  const sender = settings.messagingServiceSid
    ? { messagingServiceSid: settings.messagingServiceSid }
    : { from: settings.from ?? "" };
  const sent = await sendSms(
    { accountSid: settings.accountSid, authToken: settings.authToken, baseUrl: settings.apiBaseUrl },
    { ...sender, to: phone, body: reply },
  );
  if (!sent.ok && sent.failure.retryable && sent.sent.length === 0) {
    await release();
    throw new Error(`Twilio send failed (${sent.failure.kind}): ${sent.failure.message}`);
  }
  await db.update(smsInbound).set({ sentAt: Date.now() }).where(eq(smsInbound.messageSid, sid));
  if (sent.ok) return log.info("sms reply sent", { ...fields, messages: sent.messages.length });
  if (sent.failure.kind === "opted_out") await setOptOut(env, phone, Date.now());
  log.warn("sms reply not (fully) sent", {
    ...fields,
    kind: sent.failure.kind,
    code: sent.failure.code,
    sent: sent.sent.length,
  });
}

/** The chat gateway's bus subscriptions; the model is the composition root's in-process gateway. */
export function chatBusHandlers(model: ChatModel): Record<string, BusHandler[]> {
  return {
    [SMS_RECEIVED]: [{ name: HANDLER, run: (event, env, log) => replyToSms(event, env, log, model) }],
  };
}
