/**
 * Twilio webhook test helpers: forms signed as Twilio signs them (with the auth token the test config gives
 * the Worker), unique E.164 numbers and MessageSids per test, phone bindings, and the fake Twilio REST
 * server's record of the messages sent to a number.
 */
import { env } from "cloudflare:workers";
import { computeTwilioSignature } from "../../workers/chat/twilio/signature";
import { ADMIN, call } from "./helpers";

export const TWILIO_ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef";
export const TWILIO_AUTH_TOKEN = "twilio-test-auth-token";
export const TWILIO_FROM = "+15005550006";
const ORIGIN = "https://botplane.test";

let seq = 0;
const base = Date.now() % 1_000_000;

/** A US number no other test uses in this run. */
export function uniquePhone(): string {
  seq += 1;
  return `+1555${String((base * 10 + seq) % 10_000_000).padStart(7, "0")}`;
}

/** A MessageSid (SM + 32 hex) no other test uses. */
export function uniqueMessageSid(): string {
  return `SM${crypto.randomUUID().replaceAll("-", "")}`;
}

/** POSTs the form to the webhook path, signed with the given token (the Worker's by default) or unsigned. */
export async function postSigned(
  path: string,
  form: Record<string, string>,
  options: { token?: string | null; signature?: string } = {},
): Promise<Response> {
  const params = new URLSearchParams(form);
  const token = options.token === undefined ? TWILIO_AUTH_TOKEN : options.token;
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (options.signature !== undefined) headers["x-twilio-signature"] = options.signature;
  else if (token !== null) headers["x-twilio-signature"] = await computeTwilioSignature(token, ORIGIN + path, params);
  return call(path, { method: "POST", body: params.toString(), headers });
}

/** An inbound SMS form as Twilio posts it. */
export function smsForm(from: string, body: string, messageSid = uniqueMessageSid()): Record<string, string> {
  return {
    MessageSid: messageSid,
    AccountSid: TWILIO_ACCOUNT_SID,
    From: from,
    To: TWILIO_FROM,
    Body: body,
    NumMedia: "0",
  };
}

export async function bindPhone(phone: string, userId: string, trustMode = 0): Promise<void> {
  const res = await call(`/api/v1/chat/phone-bindings/${encodeURIComponent(phone)}`, {
    method: "PUT",
    token: await ADMIN(),
    body: { user_id: userId, trust_mode: trustMode },
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`bind: ${res.status} ${await res.text()}`);
}

export interface SentSms {
  To: string;
  From: string;
  Body: string;
}

/** The messages the fake Twilio REST API took for this number, in order. */
export async function smsSentTo(phone: string): Promise<SentSms[]> {
  const path = `/twilio/2010-04-01/Accounts/${TWILIO_ACCOUNT_SID}/Messages.json`;
  const res = await fetch(`${env.TEST_FAKE_UPSTREAMS_URL}/_requests?path=${encodeURIComponent(path)}`);
  const all = await res.json<{ body: SentSms }[]>();
  return all.map((r) => r.body).filter((b) => b.To === phone);
}
