/**
 * Accepting an inbound SMS for a reply: one `sms_inbound` row per Twilio `MessageSid` (INSERT OR IGNORE, so
 * Twilio's retries of one webhook find the first row) and the bus event `chat.sms.received.v1` that carries
 * the work to the reply handler. The event id is kept in the row, so a retry after a crash between the two
 * publishes the same event again, which the bus partition de-duplicates by id.
 */
import { eq } from "drizzle-orm";
import { createDb } from "../../platform/db/client";
import { smsInbound } from "../../platform/db/schema";
import { createEvent } from "../../platform/bus/envelope";
import { publish } from "../../platform/bus/publish";
import type { Env } from "../../platform/env";
import type { InboundSms } from "./inbound";

export const SMS_RECEIVED = "chat.sms.received.v1";

export interface SmsReceivedPayload {
  message_sid: string;
  phone: string;
  body: string;
}

/** Records the message (once per MessageSid) and publishes its event; resolves to the event's id. */
export async function acceptSms(env: Env, sms: InboundSms, traceparent: string | undefined): Promise<string> {
  const db = createDb(env.DB);
  await db
    .insert(smsInbound)
    .values({ messageSid: sms.messageSid, phone: sms.from, eventId: crypto.randomUUID(), receivedAt: Date.now() })
    .onConflictDoNothing();
  const [row] = await db
    .select({ eventId: smsInbound.eventId })
    .from(smsInbound)
    .where(eq(smsInbound.messageSid, sms.messageSid));
  if (!row) throw new Error(`sms_inbound row for ${sms.messageSid} vanished`);
  const payload: SmsReceivedPayload = { message_sid: sms.messageSid, phone: sms.from, body: sms.body };
  // Keyed by the phone, so one founder's messages are answered in the order they arrived.
  await publish(env, [
    createEvent({
      type: SMS_RECEIVED,
      source: "chat",
      payload,
      eventId: row.eventId,
      correlationId: `sms:${sms.from}`,
      traceparent,
    }),
  ]);
  return row.eventId;
}
