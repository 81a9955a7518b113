/**
 * Fake Twilio REST Messages API: `POST /twilio/2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded,
 * HTTP Basic auth, answering like Twilio (201 + the Message resource; errors as `{code, message, more_info,
 * status}`). Configure clients with base URL `${origin}/twilio`.
 *
 * Behaviour by the `To` number — Twilio's own magic test numbers, plus fake-only ones:
 *   +15005550001 → 400 21211 invalid To     +15005550002 → 400 21612 unreachable
 *   +15005550003 → 400 21408 no permission   +15005550004 → 400 21610 unsubscribed (replied STOP)
 *   +15005550009 → 400 21614 not mobile      +15005550429 → 429 20429 (Retry-After: 3)
 *   +15005550500 → 500 20500                 +15005550503 → 503 20503
 * and a Body containing `[fake-500]` → 500, so a test can make one chunk of a split reply fail; `[fake-500-once]`
 * → 500 the first time that exact Body is posted, then accepted (a transient failure).
 * `GET …/Messages.json?To=…&PageSize=…` lists the messages it accepted, newest first, as Twilio's list resource.
 * Auth: the Basic user must be the path's AccountSid (or an `SK…` API key); the password `wrong-token` is 401
 * 20003, as is a missing or non-Basic Authorization. Validation as Twilio: 21604 no To, 21603 no From or
 * MessagingServiceSid, 21602 no Body, 21617 Body over 1,600 characters.
 */
import { randomBytes } from "node:crypto";
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { sendJson } from "./behaviour.ts";

function twilioError(res: ServerResponse, status: number, code: number, message: string, headers = {}): void {
  sendJson(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, headers);
}

const MAGIC: Record<string, [number, number, string]> = {
  "+15005550001": [400, 21211, "The 'To' number +15005550001 is not a valid phone number."],
  "+15005550002": [400, 21612, "The 'To' phone number: +15005550002, is not currently reachable via SMS."],
  "+15005550003": [400, 21408, "Permission to send an SMS has not been enabled for the region of +15005550003."],
  "+15005550004": [400, 21610, "Attempt to send to unsubscribed recipient"],
  "+15005550009": [400, 21614, "'To' number is not a valid mobile number"],
  "+15005550500": [500, 20500, "Internal Server Error"],
  "+15005550503": [503, 20503, "Service Unavailable"],
};

/** An independent, approximate segment count (plain ASCII letters/digits/punctuation as GSM-7, else UCS-2). */
function segments(body: string): number {
  if (/^[A-Za-z0-9 \n\r@$_!"#%&'()*+,\-./:;<=>?]*$/.test(body))
    return body.length <= 160 ? 1 : Math.ceil(body.length / 153);
  return body.length <= 70 ? 1 : Math.ceil(body.length / 67);
}

function credentials(headers: IncomingHttpHeaders): [string, string] | null {
  const m = /^Basic (.+)$/.exec(headers.authorization ?? "");
  if (!m?.[1]) return null;
  const text = Buffer.from(m[1], "base64").toString("utf8");
  const at = text.indexOf(":");
  return at < 0 ? null : [text.slice(0, at), text.slice(at + 1)];
}

/** Every message accepted, oldest first, for the list resource. */
const accepted: Record<string, unknown>[] = [];
const failedOnce = new Set<string>();

function listMessages(accountSid: string, query: URLSearchParams, res: ServerResponse): void {
  const to = query.get("To");
  const size = Number(query.get("PageSize") ?? "50");
  const messages = accepted
    .filter((m) => m.account_sid === accountSid && (to === null || m.to === to))
    .reverse()
    .slice(0, size);
  sendJson(res, 200, { messages, page: 0, page_size: size, next_page_uri: null });
}

export function handleTwilio(
  method: string,
  url: URL,
  headers: IncomingHttpHeaders,
  form: URLSearchParams,
  res: ServerResponse,
): void {
  const path = url.pathname;
  const m = /^\/twilio\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(path);
  if (!m?.[1]) return twilioError(res, 404, 20404, `The requested resource ${path} was not found`);
  const accountSid = decodeURIComponent(m[1]);
  const creds = credentials(headers);
  if (!creds) return twilioError(res, 401, 20003, "Authentication Error - No credentials provided");
  if ((creds[0] !== accountSid && !creds[0].startsWith("SK")) || creds[1] === "wrong-token" || creds[1] === "")
    return twilioError(res, 401, 20003, "Authenticate");
  if (method === "GET") return listMessages(accountSid, url.searchParams, res);
  if (!(headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded"))
    return twilioError(res, 400, 20001, "Content-Type must be application/x-www-form-urlencoded");
  const to = form.get("To");
  const from = form.get("From");
  const service = form.get("MessagingServiceSid");
  const body = form.get("Body") ?? "";
  if (!to) return twilioError(res, 400, 21604, "A 'To' phone number is required.");
  if (!from && !service) return twilioError(res, 400, 21603, "A 'From' phone number is required.");
  if (body === "" && !form.has("MediaUrl")) return twilioError(res, 400, 21602, "Message body is required.");
  if (body.length > 1600)
    return twilioError(res, 400, 21617, "The concatenated message body exceeds the 1600 character limit.");
  if (to === "+15005550429") return twilioError(res, 429, 20429, "Too Many Requests", { "retry-after": "3" });
  const magic = MAGIC[to];
  if (magic) return twilioError(res, magic[0], magic[1], magic[2]);
  if (body.includes("[fake-500]")) return twilioError(res, 500, 20500, "Internal Server Error");
  if (body.includes("[fake-500-once]") && !failedOnce.has(body)) {
    failedOnce.add(body);
    return twilioError(res, 500, 20500, "Internal Server Error");
  }
  const sid = `SM${randomBytes(16).toString("hex")}`;
  const now = new Date().toUTCString();
  const message = {
    account_sid: accountSid,
    api_version: "2010-04-01",
    body,
    date_created: now,
    date_sent: null,
    date_updated: now,
    direction: "outbound-api",
    error_code: null,
    error_message: null,
    from: from ?? null,
    messaging_service_sid: service ?? null,
    num_media: "0",
    num_segments: String(segments(body)),
    price: null,
    price_unit: "USD",
    sid,
    status: service ? "accepted" : "queued",
    subresource_uris: { media: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}/Media.json` },
    to,
    uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
  };
  accepted.push(message);
  sendJson(res, 201, message);
}
