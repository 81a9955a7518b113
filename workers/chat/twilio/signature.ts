/**
 * `X-Twilio-Signature` checking, exactly as Twilio signs (twilio-node `webhooks.ts`, the "Webhooks security"
 * guide): base64 HMAC-SHA1, keyed with the auth token, over the full URL Twilio called followed by every form
 * parameter as `name + value`, names sorted; a repeated name contributes each distinct value, sorted. JSON
 * bodies are signed differently: Twilio adds `bodySHA256=<hex sha256 of the raw body>` to the URL, signs the
 * URL alone, and the receiver checks the body against that hash. Twilio is inconsistent about default ports,
 * so the URL is tried with and without one. WebCrypto only; comparisons are constant-time.
 */

const encoder = new TextEncoder();
export const TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature";

/** A form body's parameters in wire order (repeats kept), e.g. `[...new URLSearchParams(body)]`. */
export type FormParams = URLSearchParams | readonly (readonly [string, string])[];

/** Why a request was refused; a route answers each with 403 and stores nothing. */
export type TwilioRejection = "missing_signature" | "bad_signature" | "body_hash_mismatch" | "not_configured";

export type TwilioVerification =
  | { ok: true; kind: "form"; params: URLSearchParams; url: string }
  | { ok: true; kind: "json"; rawBody: string; url: string }
  | { ok: false; reason: TwilioRejection; url: string };

function toBase64(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)));
}

function toHex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Constant-time for equal lengths; the length of a signature or a hash is no secret. */
export function timingSafeEqualText(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  if (x.length !== y.length) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** The string Twilio signs: the URL, then each sorted name with each of its distinct values, sorted. */
export function signedPayload(url: string, params: FormParams = []): string {
  const byName = new Map<string, Set<string>>();
  for (const [name, value] of params) {
    const values = byName.get(name) ?? new Set<string>();
    values.add(value);
    byName.set(name, values);
  }
  let data = url;
  for (const name of [...byName.keys()].sort()) {
    for (const value of [...(byName.get(name) ?? [])].sort()) data += name + value;
  }
  return data;
}

/**
 * The URL as Twilio may have signed it, with the scheme's default port and without any port (twilio-node
 * `addPort`/`removePort`; WHATWG URL drops a default port, so the "with" form is built by hand).
 */
export function urlVariants(url: string): [string, string] {
  const parsed = new URL(url);
  const withPort = parsed.port
    ? parsed.toString()
    : `${parsed.protocol}//${parsed.host}${parsed.protocol === "https:" ? ":443" : ":80"}${parsed.pathname}${parsed.search}`;
  parsed.port = "";
  return [withPort, parsed.toString()];
}

async function hmacKey(authToken: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(authToken), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
}

async function sign(key: CryptoKey, data: string): Promise<string> {
  return toBase64(await crypto.subtle.sign("HMAC", key, encoder.encode(data)));
}

/** The signature Twilio sends for this URL (taken as given) and these form parameters. */
export async function computeTwilioSignature(authToken: string, url: string, params: FormParams = []): Promise<string> {
  return sign(await hmacKey(authToken), signedPayload(url, params));
}

/** Lowercase hex SHA-256 of the raw body, as Twilio puts it in `bodySHA256`. */
export async function twilioBodyHash(rawBody: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", encoder.encode(rawBody)));
}

/** Checks a form (or GET) webhook: the URL with and without its port, against the header, in constant time. */
export async function verifyTwilioSignature(
  authToken: string,
  signature: string | null | undefined,
  url: string,
  params: FormParams = [],
): Promise<boolean> {
  if (!signature) return false;
  const key = await hmacKey(authToken);
  let valid = false;
  // Both variants are always computed, so the time taken does not say which one matched.
  for (const candidate of urlVariants(url)) {
    if (timingSafeEqualText(signature, await sign(key, signedPayload(candidate, params)))) valid = true;
  }
  return valid;
}

/** Checks a JSON webhook: the signature over the URL alone, and the raw body against its `bodySHA256`. */
export async function verifyTwilioBodySignature(
  authToken: string,
  signature: string | null | undefined,
  url: string,
  rawBody: string,
): Promise<TwilioRejection | null> {
  if (!signature) return "missing_signature";
  if (!(await verifyTwilioSignature(authToken, signature, url))) return "bad_signature";
  const expected = new URL(url).searchParams.get("bodySHA256") ?? "";
  return timingSafeEqualText(expected, await twilioBodyHash(rawBody)) ? null : "body_hash_mismatch";
}

/**
 * The public URL Twilio called: the configured base (scheme, host, optional path prefix the proxy strips)
 * + the request's path + its query exactly as received. Without a base, the request URL is used as is.
 */
export function publicWebhookUrl(baseUrl: string | undefined, requestUrl: string): string {
  const request = new URL(requestUrl);
  if (!baseUrl) return request.toString();
  const base = new URL(baseUrl);
  const prefix = base.pathname.replace(/\/+$/, "");
  return `${base.protocol}//${base.host}${prefix}${request.pathname}${request.search}`;
}

/**
 * Verifies a whole webhook request, reading its body once. A URL carrying `bodySHA256` is the JSON variant
 * (as twilio-node decides); anything else is a form POST or a GET whose parameters are already in the URL.
 */
export async function verifyTwilioRequest(
  request: Request,
  options: { authToken: string | null; baseUrl?: string | undefined },
): Promise<TwilioVerification> {
  const url = publicWebhookUrl(options.baseUrl, request.url);
  const signature = request.headers.get(TWILIO_SIGNATURE_HEADER);
  // Decoded by hand: workerd warns that `.text()` on a form body "will probably be corrupted"; Twilio sends UTF-8.
  const rawBody =
    request.method === "GET" || request.method === "HEAD" ? "" : new TextDecoder().decode(await request.arrayBuffer());
  if (!signature) return { ok: false, reason: "missing_signature", url };
  // No token, nothing can be verified (and WebCrypto refuses an empty HMAC key): refuse, never throw.
  if (!options.authToken) return { ok: false, reason: "not_configured", url };
  if (new URL(url).searchParams.has("bodySHA256")) {
    const rejection = await verifyTwilioBodySignature(options.authToken, signature, url, rawBody);
    return rejection ? { ok: false, reason: rejection, url } : { ok: true, kind: "json", rawBody, url };
  }
  const params = new URLSearchParams(rawBody);
  return (await verifyTwilioSignature(options.authToken, signature, url, params))
    ? { ok: true, kind: "form", params, url }
    : { ok: false, reason: "bad_signature", url };
}
