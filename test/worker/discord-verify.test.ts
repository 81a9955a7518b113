/**
 * Discord interaction verification and parsing (workers/chat/discord/verify.ts, interactions.ts): Ed25519 over
 * `X-Signature-Timestamp + body` checked with WebCrypto against RFC 8032's vectors and a key pair generated
 * here; valid, invalid, tampered, missing, the stale-timestamp policy (±300 s), then PING → `{type: 1}` and
 * `/ask` → `{type: 5}`.
 */
import { describe, it } from "vitest";
import { ASK_COMMAND, EPHEMERAL, interactionResponse, parseInteraction } from "../../workers/chat/discord/interactions";
import {
  importDiscordPublicKey,
  isFreshTimestamp,
  verifyDiscordRequest,
  verifyDiscordSignature,
} from "../../workers/chat/discord/verify";

const NOW_MS = Date.UTC(2026, 11, 1, 3, 0, 0);
const NOW_S = String(NOW_MS / 1000);

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

interface Signer {
  publicKeyHex: string;
  sign(timestamp: string, body: string): Promise<string>;
}

async function signer(): Promise<Signer> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const raw = (await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer;
  return {
    publicKeyHex: hex(raw),
    sign: async (timestamp, body) =>
      hex(await crypto.subtle.sign("Ed25519", pair.privateKey, new TextEncoder().encode(timestamp + body))),
  };
}

function interactionRequest(body: string, headers: Record<string, string>): Request {
  return new Request("https://bot.example.com/discord/interactions", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

const PING = JSON.stringify({
  id: "1300000000000000001",
  application_id: "1200000000000000001",
  type: 1,
  token: "tok",
  version: 1,
});

describe("discord verify: Ed25519", () => {
  it("should verify RFC 8032's test vectors 1 and 2 through the timestamp + body concatenation", async ({ expect }) => {
    const key1 = await importDiscordPublicKey("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    const sig1 =
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
    expect(await verifyDiscordSignature(key1, sig1, "", "")).toBe(true);
    const key2 = await importDiscordPublicKey("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
    const sig2 =
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";
    expect(await verifyDiscordSignature(key2, sig2, "r", "")).toBe(true);
    expect(await verifyDiscordSignature(key2, sig2, "", "r")).toBe(true);
    expect(await verifyDiscordSignature(key2, sig2, "r", "r")).toBe(false);
    expect(await verifyDiscordSignature(key1, sig2, "r", "")).toBe(false);
  });

  it("should accept a request signed with the application's key", async ({ expect }) => {
    const app = await signer();
    const request = interactionRequest(PING, {
      "X-Signature-Ed25519": await app.sign(NOW_S, PING),
      "X-Signature-Timestamp": NOW_S,
    });
    expect(await verifyDiscordRequest(request, { publicKeyHex: app.publicKeyHex, nowMs: NOW_MS })).toEqual({
      ok: true,
      rawBody: PING,
    });
  });

  it("should refuse another key's signature, a tampered body or timestamp, and junk signatures", async ({ expect }) => {
    const app = await signer();
    const other = await signer();
    const good = await app.sign(NOW_S, PING);
    const cases: [string, Record<string, string>][] = [
      [PING, { "X-Signature-Ed25519": await other.sign(NOW_S, PING), "X-Signature-Timestamp": NOW_S }],
      [PING.replace('"type":1', '"type":2'), { "X-Signature-Ed25519": good, "X-Signature-Timestamp": NOW_S }],
      [PING, { "X-Signature-Ed25519": good, "X-Signature-Timestamp": String(NOW_MS / 1000 + 1) }],
      [PING, { "X-Signature-Ed25519": good.slice(0, -2), "X-Signature-Timestamp": NOW_S }],
      [PING, { "X-Signature-Ed25519": "zz" + good.slice(2), "X-Signature-Timestamp": NOW_S }],
    ];
    for (const [body, headers] of cases) {
      const result = await verifyDiscordRequest(interactionRequest(body, headers), {
        publicKeyHex: app.publicKeyHex,
        nowMs: NOW_MS,
      });
      expect(result).toEqual({ ok: false, reason: "bad_signature" });
    }
  });

  it("should refuse a request missing either header", async ({ expect }) => {
    const app = await signer();
    const sig = await app.sign(NOW_S, PING);
    const variants: Record<string, string>[] = [{ "X-Signature-Timestamp": NOW_S }, { "X-Signature-Ed25519": sig }, {}];
    for (const headers of variants) {
      const result = await verifyDiscordRequest(interactionRequest(PING, headers), {
        publicKeyHex: app.publicKeyHex,
        nowMs: NOW_MS,
      });
      expect(result).toEqual({ ok: false, reason: "missing_signature" });
    }
  });

  it("should refuse a validly signed request more than 300 s from our clock, either way, and accept one within", async ({
    expect,
  }) => {
    const app = await signer();
    const at = async (offsetS: number) => {
      const ts = String(NOW_MS / 1000 + offsetS);
      const request = interactionRequest(PING, {
        "X-Signature-Ed25519": await app.sign(ts, PING),
        "X-Signature-Timestamp": ts,
      });
      const result = await verifyDiscordRequest(request, { publicKeyHex: app.publicKeyHex, nowMs: NOW_MS });
      return result.ok ? "ok" : result.reason;
    };
    expect([await at(-301), await at(-300), await at(0), await at(300), await at(301)]).toEqual([
      "stale_timestamp",
      "ok",
      "ok",
      "ok",
      "stale_timestamp",
    ]);
    expect(isFreshTimestamp("1764558000.5", NOW_MS)).toBe(false);
    expect(isFreshTimestamp(NOW_S, NOW_MS + 60_000, 30)).toBe(false);
  });

  it("should refuse, without throwing, when the public key is unset or unusable", async ({ expect }) => {
    const app = await signer();
    for (const publicKeyHex of [null, "abcd"]) {
      const request = interactionRequest(PING, {
        "X-Signature-Ed25519": await app.sign(NOW_S, PING),
        "X-Signature-Timestamp": NOW_S,
      });
      expect(await verifyDiscordRequest(request, { publicKeyHex, nowMs: NOW_MS })).toEqual({
        ok: false,
        reason: "not_configured",
      });
    }
  });

  it("should reject a configured public key that is not 32 bytes of hex", async ({ expect }) => {
    await expect(importDiscordPublicKey("abcd")).rejects.toThrow("DISCORD_PUBLIC_KEY must be 64 hex digits");
    await expect(importDiscordPublicKey("g".repeat(64))).rejects.toThrow("DISCORD_PUBLIC_KEY must be 64 hex digits");
  });
});

describe("discord interactions: parsing and the immediate response", () => {
  const ask = (options: unknown[], extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      id: "1300000000000000002",
      application_id: "1200000000000000001",
      type: 2,
      token: "aW50ZXJhY3Rpb24tdG9rZW4",
      version: 1,
      guild_id: "1100000000000000009",
      channel_id: "1100000000000000001",
      member: { user: { id: "1000000000000000042", username: "ada", global_name: "Ada" } },
      data: { id: "1250000000000000000", name: "ask", type: 1, options },
      ...extra,
    });

  it("should answer PING with PONG", ({ expect }) => {
    const parsed = parseInteraction(PING);
    expect(parsed).toEqual({ kind: "ping" });
    if (parsed.kind === "invalid") return;
    expect(interactionResponse(parsed)).toEqual({ type: 1 });
  });

  it("should parse /ask with its question and defer it with type 5", ({ expect }) => {
    const parsed = parseInteraction(ask([{ name: "question", type: 3, value: "  What's blocking launch?  " }]));
    expect(parsed).toEqual({
      kind: "ask",
      interactionId: "1300000000000000002",
      applicationId: "1200000000000000001",
      token: "aW50ZXJhY3Rpb24tdG9rZW4",
      question: "What's blocking launch?",
      user: { id: "1000000000000000042", name: "Ada" },
      guildId: "1100000000000000009",
      channelId: "1100000000000000001",
    });
    if (parsed.kind === "invalid") return;
    expect(interactionResponse(parsed)).toEqual({ type: 5 });
  });

  it("should take the user from a DM interaction, which has `user` instead of `member`", ({ expect }) => {
    const dm = parseInteraction(
      ask([{ name: "question", type: 3, value: "hi" }], {
        member: undefined,
        guild_id: undefined,
        user: { id: "7", username: "bob" },
      }),
    );
    expect(dm).toMatchObject({ kind: "ask", user: { id: "7", name: "bob" }, guildId: null });
  });

  it("should answer another command ephemerally and refuse an /ask without a question", ({ expect }) => {
    const other = parseInteraction(ask([]).replace('"name":"ask"', '"name":"roll"'));
    expect(other).toEqual({ kind: "unsupported", type: 2, name: "roll" });
    if (other.kind === "invalid") return;
    expect(interactionResponse(other)).toEqual({
      type: 4,
      data: { content: "I only know the /ask command.", flags: EPHEMERAL, allowed_mentions: { parse: [] } },
    });
    expect(parseInteraction(ask([{ name: "question", type: 3, value: "   " }]))).toEqual({
      kind: "invalid",
      issues: [{ field: "body.data.options", message: "needs a non-empty question" }],
    });
  });

  it("should report a body that is not an interaction, naming the field", ({ expect }) => {
    expect(parseInteraction("{not json")).toEqual({
      kind: "invalid",
      issues: [{ field: "body", message: "is not JSON" }],
    });
    const parsed = parseInteraction(JSON.stringify({ id: "x", application_id: "1", type: 1, token: "t" }));
    expect(parsed).toEqual({ kind: "invalid", issues: [{ field: "body.id", message: "must be a snowflake" }] });
  });

  it("should describe /ask for registration with one required string option", ({ expect }) => {
    expect(ASK_COMMAND.options).toEqual([
      { type: 3, name: "question", description: "What do you want to ask?", required: true, max_length: 2000 },
    ]);
  });
});
