/**
 * Twilio's inbound webhook forms, parsed with zod after the signature is checked: an incoming SMS (Messaging
 * webhook: MessageSid, From, To, Body, NumMedia, MediaUrl{N}…) and a voice request (CallSid, CallStatus, and
 * after a `<Gather>` SpeechResult/Confidence or Digits). Twilio adds parameters without notice, so unknown
 * ones are ignored, never refused. Also the SMS keywords Twilio itself acts on (its "opt-out keywords" list):
 * only a message that is the keyword alone, in any case, counts; "STOP PLEASE" does not.
 */
import { z } from "zod";

/** Twilio's SID shape: two letters naming the resource and 32 hex digits. */
function sid(prefixes: readonly string[]) {
  return z
    .string()
    .regex(
      new RegExp(`^(${prefixes.join("|")})[0-9a-fA-F]{32}$`),
      `must be a Twilio SID starting ${prefixes.join(" or ")}`,
    );
}

// Numbers are E.164 for SMS, but voice can say `client:alice`, `sip:…` or `anonymous`: do not over-validate.
const address = z.string().trim().min(1, "is required").max(256);
const count = z
  .string()
  .regex(/^\d{1,3}$/, "must be a whole number")
  .transform(Number);

export type SmsKeyword = "stop" | "start" | "help";

/** Twilio's default keywords (long codes and toll-free), by what each does. */
export const SMS_KEYWORDS: Readonly<Record<SmsKeyword, readonly string[]>> = {
  stop: ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"],
  start: ["START", "YES", "UNSTOP"],
  help: ["HELP", "INFO"],
};

const KEYWORD_OF = new Map<string, SmsKeyword>(
  (Object.entries(SMS_KEYWORDS) as [SmsKeyword, readonly string[]][]).flatMap(([kind, words]) =>
    words.map((w) => [w, kind] as const),
  ),
);

/** The keyword a body is, if it is one word from Twilio's lists (case-insensitive, trailing `.`/`!` ignored). */
export function detectKeyword(body: string): SmsKeyword | null {
  const word = body
    .trim()
    .replace(/[.!]+$/, "")
    .toUpperCase();
  return KEYWORD_OF.get(word) ?? null;
}

const OPT_OUT_TYPE: Record<string, SmsKeyword> = { STOP: "stop", START: "start", HELP: "help" };

const smsForm = z.object({
  MessageSid: sid(["SM", "MM"]),
  AccountSid: sid(["AC"]),
  MessagingServiceSid: sid(["MG"]).optional(),
  From: address,
  To: address,
  Body: z.string().max(10_000).default(""),
  NumMedia: count.default(0),
  NumSegments: count.optional(),
  // Set by Advanced Opt-Out when the body matched one of the Messaging Service's (custom) keywords.
  OptOutType: z.string().optional(),
});

export interface InboundSms {
  messageSid: string;
  accountSid: string;
  messagingServiceSid: string | null;
  from: string;
  to: string;
  body: string;
  numMedia: number;
  numSegments: number | null;
  media: { url: string; contentType: string | null }[];
  /** Twilio's own verdict (`OptOutType`) when it sent one, else the body matched against its default lists. */
  keyword: SmsKeyword | null;
}

const callForm = z.object({
  CallSid: sid(["CA"]),
  AccountSid: sid(["AC"]),
  From: address,
  To: address,
  CallStatus: z.enum(["queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled"]),
  Direction: z.string().optional(),
  SpeechResult: z.string().max(10_000).optional(),
  Confidence: z
    .string()
    .regex(/^(0(\.\d+)?|1(\.0+)?)$/, "must be a number from 0 to 1")
    .transform(Number)
    .optional(),
  Digits: z
    .string()
    .regex(/^[0-9*#w]*$/, "must be keypad digits")
    .optional(),
});

export interface InboundCall {
  callSid: string;
  accountSid: string;
  from: string;
  to: string;
  callStatus: z.infer<typeof callForm>["CallStatus"];
  direction: string | null;
  /** What the caller said, after a `<Gather input="speech">`; null when Twilio heard nothing. */
  speechResult: string | null;
  confidence: number | null;
  digits: string | null;
}

export interface FieldIssue {
  field: string;
  message: string;
}

/** A parse result: the value, or issues naming each bad field (`body.<Name>`), ready for a 400's details. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; issues: FieldIssue[] };

function firstValues(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of params) if (!(name in out)) out[name] = value;
  return out;
}

function issuesOf(error: z.ZodError): FieldIssue[] {
  return error.issues.map((i) => ({ field: ["body", ...i.path.map(String)].join("."), message: i.message }));
}

export function parseInboundSms(params: URLSearchParams): Parsed<InboundSms> {
  const fields = firstValues(params);
  const parsed = smsForm.safeParse(fields);
  if (!parsed.success) return { ok: false, issues: issuesOf(parsed.error) };
  const f = parsed.data;
  const media: InboundSms["media"] = [];
  for (let i = 0; i < f.NumMedia; i++) {
    const url = fields[`MediaUrl${i}`];
    if (url === undefined) return { ok: false, issues: [{ field: `body.MediaUrl${i}`, message: "is required" }] };
    media.push({ url, contentType: fields[`MediaContentType${i}`] ?? null });
  }
  const twilioVerdict = f.OptOutType === undefined ? undefined : OPT_OUT_TYPE[f.OptOutType.toUpperCase()];
  return {
    ok: true,
    value: {
      messageSid: f.MessageSid,
      accountSid: f.AccountSid,
      messagingServiceSid: f.MessagingServiceSid ?? null,
      from: f.From,
      to: f.To,
      body: f.Body,
      numMedia: f.NumMedia,
      numSegments: f.NumSegments ?? null,
      media,
      keyword: twilioVerdict ?? detectKeyword(f.Body),
    },
  };
}

export function parseInboundCall(params: URLSearchParams): Parsed<InboundCall> {
  const parsed = callForm.safeParse(firstValues(params));
  if (!parsed.success) return { ok: false, issues: issuesOf(parsed.error) };
  const f = parsed.data;
  const speech = f.SpeechResult?.trim();
  return {
    ok: true,
    value: {
      callSid: f.CallSid,
      accountSid: f.AccountSid,
      from: f.From,
      to: f.To,
      callStatus: f.CallStatus,
      direction: f.Direction ?? null,
      speechResult: speech ? speech : null,
      confidence: f.Confidence ?? null,
      digits: f.Digits ?? null,
    },
  };
}
