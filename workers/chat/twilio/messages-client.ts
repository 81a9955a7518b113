/**
 * Sends SMS through Twilio's REST Messages API: `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`,
 * form-encoded `To`, `From` (or `MessagingServiceSid`) and `Body`, HTTP Basic auth with the account SID and
 * auth token (or an API key SID and secret). A long reply is cut into several messages by `splitSms` and sent
 * one after another. Twilio's error body `{code, message, more_info, status}` becomes a typed failure; 429,
 * 5xx and network errors are marked retryable, everything else is not (retrying a 400 sends nothing new).
 * `findSentMessage` reads the account's Message list back, so a sender that crashed with a send in doubt can
 * tell whether Twilio took it (the Messages API has no idempotency key).
 */
import { z } from "zod";
import { splitSms } from "./sms-segments";

export const DEFAULT_TWILIO_API_BASE_URL = "https://api.twilio.com";

export interface TwilioMessagesConfig {
  accountSid: string;
  /** The auth token, or an API key secret when `apiKeySid` is set. */
  authToken: string;
  apiKeySid?: string | undefined;
  /** `TWILIO_API_BASE_URL`; tests point it at a local fake. */
  baseUrl?: string | undefined;
  fetch?: typeof fetch;
}

export type SmsSender = { from: string } | { messagingServiceSid: string };

export type SmsRequest = SmsSender & {
  to: string;
  body: string;
  /** Where Twilio reports delivery status. */
  statusCallback?: string;
  /** Segments per message before the text is cut (1–10, default 4; see sms-segments.ts). */
  maxSegments?: number;
};

export interface SentMessage {
  sid: string;
  status: string;
  body: string;
  numSegments: number | null;
}

export type TwilioFailureKind =
  | "invalid_request" // 400: bad number, missing field, body too long
  | "opted_out" // 21610: the recipient replied STOP
  | "auth" // 401/403: wrong SID or token
  | "not_found" // 404: unknown account or resource
  | "rate_limited" // 429
  | "server" // 5xx
  | "network" // no HTTP answer at all
  | "malformed_response"; // an answer that is not Twilio's shape

export interface TwilioFailure {
  kind: TwilioFailureKind;
  retryable: boolean;
  status: number | null;
  /** Twilio's error code (e.g. 21211), when it sent one. */
  code: number | null;
  message: string;
  moreInfo: string | null;
  /** From `Retry-After`, when Twilio sent one. */
  retryAfterMs: number | null;
}

export type SendSmsResult =
  { ok: true; messages: SentMessage[] } | { ok: false; failure: TwilioFailure; sent: SentMessage[] };

const messageResource = z.object({
  sid: z.string().min(1),
  status: z.string(),
  body: z.string().nullish(),
  num_segments: z.string().nullish(),
});

const errorResource = z.object({
  code: z.number().int().nullish(),
  message: z.string().nullish(),
  more_info: z.string().nullish(),
  status: z.number().int().nullish(),
});

function basicAuth(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

function retryAfterMs(header: string | null): number | null {
  if (header === null) return null;
  const secs = Number(header);
  if (Number.isFinite(secs) && secs >= 0) return Math.round(secs * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

function kindFor(status: number, code: number | null): TwilioFailureKind {
  if (code === 21610) return "opted_out";
  if (status === 429) return "rate_limited";
  if (status >= 500) return "server";
  if (status === 401 || status === 403) return "auth";
  if (status === 404) return "not_found";
  return "invalid_request";
}

/** Maps a non-2xx answer to a failure, whatever its body holds. */
export async function twilioFailure(response: Response): Promise<TwilioFailure> {
  const text = await response.text();
  let parsed: z.infer<typeof errorResource> = {};
  try {
    const result = errorResource.safeParse(JSON.parse(text));
    if (result.success) parsed = result.data;
  } catch {}
  const code = parsed.code ?? null;
  const kind = kindFor(response.status, code);
  return {
    kind,
    retryable: kind === "rate_limited" || kind === "server",
    status: response.status,
    code,
    message: parsed.message ?? (text.slice(0, 200) || `HTTP ${response.status}`),
    moreInfo: parsed.more_info ?? null,
    retryAfterMs: retryAfterMs(response.headers.get("retry-after")),
  };
}

function localFailure(kind: "network" | "malformed_response", message: string, status: number | null): TwilioFailure {
  return { kind, retryable: kind === "network", status, code: null, message, moreInfo: null, retryAfterMs: null };
}

/** The Messages endpoint for this account under the configured base URL. */
export function messagesUrl(config: Pick<TwilioMessagesConfig, "accountSid" | "baseUrl">): string {
  const base = (config.baseUrl || DEFAULT_TWILIO_API_BASE_URL).replace(/\/+$/, "");
  return `${base}/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/Messages.json`;
}

/** Sends one message with exactly this body (a chunk `splitSms` already cut). */
export async function sendSmsMessage(
  config: TwilioMessagesConfig,
  request: SmsSender & { to: string; statusCallback?: string },
  body: string,
): Promise<{ ok: true; message: SentMessage } | { ok: false; failure: TwilioFailure }> {
  const form = new URLSearchParams({ To: request.to, Body: body });
  if ("from" in request) form.set("From", request.from);
  else form.set("MessagingServiceSid", request.messagingServiceSid);
  if (request.statusCallback !== undefined) form.set("StatusCallback", request.statusCallback);
  let response: Response;
  try {
    response = await (config.fetch ?? fetch)(messagesUrl(config), {
      method: "POST",
      headers: {
        authorization: basicAuth(config.apiKeySid ?? config.accountSid, config.authToken),
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: form.toString(),
    });
  } catch (err) {
    return { ok: false, failure: localFailure("network", `Twilio unreachable: ${String(err)}`, null) };
  }
  if (!response.ok) return { ok: false, failure: await twilioFailure(response) };
  let json: unknown;
  try {
    json = await response.json();
  } catch {
    return { ok: false, failure: localFailure("malformed_response", "Twilio answered with no JSON", response.status) };
  }
  const parsed = messageResource.safeParse(json);
  if (!parsed.success)
    return { ok: false, failure: localFailure("malformed_response", "no message sid in the answer", response.status) };
  const segments = Number(parsed.data.num_segments ?? Number.NaN);
  return {
    ok: true,
    message: {
      sid: parsed.data.sid,
      status: parsed.data.status,
      body: parsed.data.body ?? body,
      numSegments: Number.isInteger(segments) ? segments : null,
    },
  };
}

/**
 * Sends `body` as one or more messages, in order, stopping at the first failure; `sent` then says which
 * chunks Twilio already accepted, so a retry can send only the rest (`splitSms` is deterministic).
 */
export async function sendSms(config: TwilioMessagesConfig, request: SmsRequest): Promise<SendSmsResult> {
  const chunks = splitSms(request.body, request.maxSegments);
  const sent: SentMessage[] = [];
  if (chunks.length === 0) {
    const failure: TwilioFailure = {
      kind: "invalid_request",
      retryable: false,
      status: null,
      code: 21602,
      message: "Message body is required.",
      moreInfo: "https://www.twilio.com/docs/errors/21602",
      retryAfterMs: null,
    };
    return { ok: false, failure, sent };
  }
  for (const chunk of chunks) {
    const result = await sendSmsMessage(config, request, chunk);
    if (!result.ok) return { ok: false, failure: result.failure, sent };
    sent.push(result.message);
  }
  return { ok: true, messages: sent };
}

const messageList = z.object({
  messages: z.array(
    z.object({ sid: z.string(), body: z.string().nullish(), to: z.string().nullish(), date_created: z.string() }),
  ),
});

/**
 * The newest message to `to` with exactly `body` that Twilio created at or after `since` (epoch ms), or null.
 * Reads one page of the account's Message list (newest first, filtered by `To`): enough for the one in-doubt
 * send it is asked about, which is seconds old.
 */
export async function findSentMessage(
  config: TwilioMessagesConfig,
  query: { to: string; body: string; since: number },
): Promise<{ ok: true; sid: string | null } | { ok: false; failure: TwilioFailure }> {
  const url = `${messagesUrl(config)}?${new URLSearchParams({ To: query.to, PageSize: "50" }).toString()}`;
  let response: Response;
  try {
    response = await (config.fetch ?? fetch)(url, {
      headers: {
        authorization: basicAuth(config.apiKeySid ?? config.accountSid, config.authToken),
        accept: "application/json",
      },
    });
  } catch (err) {
    return { ok: false, failure: localFailure("network", `Twilio unreachable: ${String(err)}`, null) };
  }
  if (!response.ok) return { ok: false, failure: await twilioFailure(response) };
  const parsed = messageList.safeParse(await response.json().catch(() => null));
  if (!parsed.success)
    return { ok: false, failure: localFailure("malformed_response", "no message list in the answer", response.status) };
  // Twilio's dates are RFC 2822 with whole seconds: compare at that granularity.
  const floor = Math.floor(query.since / 1000) * 1000;
  const match = parsed.data.messages.find(
    (m) => m.to === query.to && m.body === query.body && Date.parse(m.date_created) >= floor,
  );
  return { ok: true, sid: match?.sid ?? null };
}
