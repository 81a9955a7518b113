/**
 * Discord interaction request verification: Discord signs `X-Signature-Timestamp` + the raw body with the
 * application's Ed25519 key and sends the signature hex in `X-Signature-Ed25519`; the endpoint checks it
 * against the application's public key (hex, from the Developer Portal) with WebCrypto `{ name: "Ed25519" }`
 * and must answer 401 when it fails (Discord probes this when the URL is saved).
 *
 * Stale timestamps (our policy; Discord documents none): a signed request is replayable forever, so one whose
 * timestamp is more than `maxSkewSeconds` (default 300) away from our clock, in either direction, is refused
 * like a bad signature. Five minutes covers clock drift and Discord's retries, and the interaction token a
 * request carries is itself only good for 15 minutes.
 */

export const DISCORD_SIGNATURE_HEADER = "X-Signature-Ed25519";
export const DISCORD_TIMESTAMP_HEADER = "X-Signature-Timestamp";
export const DEFAULT_MAX_SKEW_SECONDS = 300;

export type DiscordRejection = "missing_signature" | "bad_signature" | "stale_timestamp" | "not_configured";

export type DiscordVerification = { ok: true; rawBody: string } | { ok: false; reason: DiscordRejection };

const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();

/** Bytes of an even-length hex string, or null when it is not one. */
export function hexToBytes(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** Imports (once per isolate) the application's 32-byte public key; throws if the configured key is not one. */
export function importDiscordPublicKey(publicKeyHex: string): Promise<CryptoKey> {
  const cached = keyCache.get(publicKeyHex);
  if (cached) return cached;
  const bytes = hexToBytes(publicKeyHex.trim());
  if (bytes?.length !== 32) return Promise.reject(new Error("DISCORD_PUBLIC_KEY must be 64 hex digits"));
  const key = crypto.subtle.importKey("raw", bytes, { name: "Ed25519" }, false, ["verify"]);
  keyCache.set(publicKeyHex, key);
  // A failed import is not cached, so a fixed config takes effect without a restart.
  void key.catch(() => keyCache.delete(publicKeyHex));
  return key;
}

/** Checks one signature over `timestamp + body`; a malformed signature is simply invalid. */
export async function verifyDiscordSignature(
  publicKey: CryptoKey,
  signatureHex: string,
  timestamp: string,
  rawBody: string,
): Promise<boolean> {
  const signature = hexToBytes(signatureHex);
  if (signature?.length !== 64) return false;
  return crypto.subtle.verify("Ed25519", publicKey, signature, encoder.encode(timestamp + rawBody));
}

/** Whether a `X-Signature-Timestamp` (unix seconds) is within the skew allowed around `nowMs`. */
export function isFreshTimestamp(timestamp: string, nowMs: number, maxSkewSeconds = DEFAULT_MAX_SKEW_SECONDS): boolean {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  return Math.abs(nowMs / 1000 - Number(timestamp)) <= maxSkewSeconds;
}

/**
 * Verifies a whole interaction request, reading its body once: headers present, signature valid, then the
 * timestamp fresh (checked after the signature, so an unsigned request learns nothing about our clock).
 */
export async function verifyDiscordRequest(
  request: Request,
  options: { publicKeyHex: string | null; nowMs?: number; maxSkewSeconds?: number },
): Promise<DiscordVerification> {
  const signature = request.headers.get(DISCORD_SIGNATURE_HEADER);
  const timestamp = request.headers.get(DISCORD_TIMESTAMP_HEADER);
  const rawBody = await request.text();
  if (!signature || !timestamp) return { ok: false, reason: "missing_signature" };
  let key: CryptoKey;
  try {
    if (options.publicKeyHex === null) throw new Error("DISCORD_PUBLIC_KEY is not set");
    key = await importDiscordPublicKey(options.publicKeyHex);
  } catch {
    // Nothing can be verified without the key: refuse (401), never a 500.
    return { ok: false, reason: "not_configured" };
  }
  if (!(await verifyDiscordSignature(key, signature, timestamp, rawBody)))
    return { ok: false, reason: "bad_signature" };
  if (!isFreshTimestamp(timestamp, options.nowMs ?? Date.now(), options.maxSkewSeconds))
    return { ok: false, reason: "stale_timestamp" };
  return { ok: true, rawBody };
}
