/**
 * The bus handler that answers an inbound SMS (`chat.sms.received.v1`, published by sms-routes.ts): one chat
 * turn on surface `sms` in the phone binding's session (the same turn logic as `POST /chat`), then the reply
 * through the Twilio REST Messages API, split into segments. Exactly one reply per MessageSid: the
 * `sms_inbound` row is claimed with a lease before the turn (two deliveries of one event never both run),
 * keeps the reply once produced (a retry after a failed send does not ask the model again) and counts the
 * reply's chunks as Twilio accepts them, so a retry sends only the rest. Twilio's Messages API has no
 * idempotency key: each chunk's send is marked in doubt (`sending_since`) before it goes out, and a delivery
 * that finds a send in doubt (its predecessor crashed between Twilio's answer and the write) first reads
 * Twilio's Message list back and sends the chunk only if Twilio never took it.
 */
import { and, eq, isNull, lt, or } from "drizzle-orm";
import { z } from "zod";
import { NotReadyError, PermanentError, type BusHandler } from "../../platform/bus/consumer";
import type { BusEvent } from "../../platform/bus/envelope";
import { createDb, type Db } from "../../platform/db/client";
import { smsInbound } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import type { Logger } from "../../platform/logger";
import { maskPhones } from "../mask";
import type { GatewayModel } from "../../platform/model-port";
import {
  findSentMessage,
  sendSmsMessage,
  type SmsSender,
  type TwilioFailure,
  type TwilioMessagesConfig,
} from "./messages-client";
import { splitSms } from "./sms-segments";
import { findBinding, setOptOut } from "./phone-bindings";
import { phoneTurn } from "./phone-turn";
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

async function replyToSms(event: BusEvent, env: Env, log: Logger, model: GatewayModel): Promise<void> {
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
    .returning({
      reply: smsInbound.reply,
      segmentsSent: smsInbound.segmentsSent,
      sendingSince: smsInbound.sendingSince,
    });
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
      reply = await phoneTurn(env, model, binding, body, event.metadata.traceparent ?? "", log);
    } catch (err) {
      await release();
      throw err;
    }
    await db.update(smsInbound).set({ reply }).where(eq(smsInbound.messageSid, sid));
  }
  const sender = settings.messagingServiceSid
    ? { messagingServiceSid: settings.messagingServiceSid }
    : { from: settings.from ?? "" };
  const twilio = { accountSid: settings.accountSid, authToken: settings.authToken, baseUrl: settings.apiBaseUrl };
  const chunks = splitSms(reply);
  const sent = await sendChunks(db, sid, twilio, { ...sender, to: phone }, chunks, claimed);
  if (!sent.ok && sent.failure.retryable) {
    await release();
    throw new Error(`Twilio send failed (${sent.failure.kind}): ${sent.failure.message}`);
  }
  await db.update(smsInbound).set({ sentAt: Date.now() }).where(eq(smsInbound.messageSid, sid));
  if (sent.ok) return log.info("sms reply sent", { ...fields, messages: chunks.length });
  if (sent.failure.kind === "opted_out") await setOptOut(env, phone, Date.now());
  log.warn("sms reply not (fully) sent", {
    ...fields,
    kind: sent.failure.kind,
    code: sent.failure.code,
    sent: sent.segmentsSent,
  });
}

type ChunkOutcome = { ok: true } | { ok: false; failure: TwilioFailure; segmentsSent: number };

/**
 * Sends the chunks Twilio has not accepted yet, in order, recording each: `sending_since` before the POST,
 * `segments_sent` after Twilio's answer. A chunk left in doubt by a crashed delivery is looked up first.
 */
async function sendChunks(
  db: Db,
  sid: string,
  twilio: TwilioMessagesConfig,
  request: SmsSender & { to: string },
  chunks: string[],
  progress: { segmentsSent: number; sendingSince: number | null },
): Promise<ChunkOutcome> {
  const row = eq(smsInbound.messageSid, sid);
  let done = progress.segmentsSent;
  let doubt = progress.sendingSince;
  for (; done < chunks.length; done += 1) {
    const body = chunks[done] ?? "";
    if (doubt !== null) {
      const found = await findSentMessage(twilio, { to: request.to, body, since: doubt });
      if (!found.ok) return { ok: false, failure: { ...found.failure, retryable: true }, segmentsSent: done };
      doubt = null;
      if (found.sid !== null) {
        await db
          .update(smsInbound)
          .set({ segmentsSent: done + 1, sendingSince: null })
          .where(row);
        continue;
      }
    }
    await db.update(smsInbound).set({ sendingSince: Date.now() }).where(row);
    const result = await sendSmsMessage(twilio, request, body);
    if (!result.ok) {
      // With no HTTP answer the chunk may still have reached Twilio: it stays in doubt for the retry.
      if (result.failure.kind !== "network") await db.update(smsInbound).set({ sendingSince: null }).where(row);
      return { ok: false, failure: result.failure, segmentsSent: done };
    }
    await db
      .update(smsInbound)
      .set({ segmentsSent: done + 1, sendingSince: null })
      .where(row);
  }
  return { ok: true };
}

/** The chat gateway's bus subscriptions; the model is the composition root's in-process gateway. */
export function smsBusHandlers(model: GatewayModel): Record<string, BusHandler[]> {
  return {
    [SMS_RECEIVED]: [{ name: HANDLER, run: (event, env, log) => replyToSms(event, env, log, model) }],
  };
}
