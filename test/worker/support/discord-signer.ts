/**
 * Signs Discord interaction requests as Discord does (Ed25519 over `X-Signature-Timestamp` + the raw body)
 * with a fixed test key whose public half is the test Worker's DISCORD_PUBLIC_KEY (test/worker/vitest.config.ts).
 */
import { call } from "../helpers";

const TEST_PRIVATE_JWK: JsonWebKey = {
  crv: "Ed25519",
  d: "pGlqGbBL-wSjOMGM3sJHi2Ll-fM6IQtPGU4-0YS4AgI",
  x: "8XqQHGUc7R10dR3vs3h_55NLD05eUwM7FkiGTpKBQuU",
  kty: "OKP",
};

let key: Promise<CryptoKey> | null = null;

function signingKey(): Promise<CryptoKey> {
  key ??= crypto.subtle.importKey("jwk", TEST_PRIVATE_JWK, { name: "Ed25519" }, false, ["sign"]);
  return key;
}

export async function signDiscord(body: string, timestamp: string): Promise<string> {
  const signature = await crypto.subtle.sign("Ed25519", await signingKey(), new TextEncoder().encode(timestamp + body));
  return Array.from(new Uint8Array(signature), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** POSTs `body` to /discord/interactions through the Worker's real entry, signed unless `signature` says otherwise. */
export async function postInteraction(
  body: unknown,
  opts: { signature?: string | null; timestamp?: string } = {},
): Promise<Response> {
  const raw = typeof body === "string" ? body : JSON.stringify(body);
  const timestamp = opts.timestamp ?? String(Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = { "content-type": "application/json" };
  const signature = opts.signature === undefined ? await signDiscord(raw, timestamp) : opts.signature;
  if (signature !== null) {
    headers["x-signature-ed25519"] = signature;
    headers["x-signature-timestamp"] = timestamp;
  }
  return call("/discord/interactions", { method: "POST", headers, body: raw });
}
