/**
 * Twilio Messages client (workers/chat/twilio/messages-client.ts) against the fake Twilio REST API in
 * test/worker/fake-upstreams (real wire format: form body, Basic auth, 201 Message resource, error bodies
 * `{code, message, more_info, status}`): what goes on the wire, splitting into ordered messages, and every
 * failure kind with its retryability.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { messagesUrl, sendSms, type TwilioMessagesConfig } from "../../workers/chat/twilio/messages-client";
import { splitSms } from "../../workers/chat/twilio/sms-segments";

const FAKE = env.TEST_FAKE_UPSTREAMS_URL;
const FROM = "+15005550006";

interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** A fresh account per test, so its requests are found by path. */
function account(over: Partial<TwilioMessagesConfig> = {}): TwilioMessagesConfig {
  return {
    accountSid: `AC${crypto.randomUUID().replaceAll("-", "")}`,
    authToken: "auth-token-0123",
    baseUrl: `${FAKE}/twilio`,
    ...over,
  };
}

async function recorded(config: TwilioMessagesConfig): Promise<Recorded[]> {
  const path = `/twilio/2010-04-01/Accounts/${config.accountSid}/`;
  const res = await fetch(`${FAKE}/_requests?path=${encodeURIComponent(path)}`);
  return res.json<Recorded[]>();
}

describe("twilio messages client: the request", () => {
  it("should POST the form to the account's Messages.json with Basic auth and return the message", async ({
    expect,
  }) => {
    const config = account();
    const result = await sendSms(config, { from: FROM, to: "+15551230001", body: "Hello & welcome, 5 > 3" });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.messages).toHaveLength(1);
    expect(result.messages[0]?.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(result.messages[0]).toMatchObject({ status: "queued", body: "Hello & welcome, 5 > 3", numSegments: 1 });
    const [request, ...more] = await recorded(config);
    expect(more).toEqual([]);
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe(`/twilio/2010-04-01/Accounts/${config.accountSid}/Messages.json`);
    expect(request?.headers.authorization).toBe(`Basic ${btoa(`${config.accountSid}:auth-token-0123`)}`);
    expect(request?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(request?.body).toEqual({ To: "+15551230001", Body: "Hello & welcome, 5 > 3", From: FROM });
  });

  it("should send MessagingServiceSid instead of From, and a StatusCallback when given", async ({ expect }) => {
    const config = account();
    const service = "MG0123456789abcdef0123456789abcdef";
    const result = await sendSms(config, {
      messagingServiceSid: service,
      to: "+15551230002",
      body: "hi",
      statusCallback: "https://hooks.example.com/sms/status",
    });
    expect(result).toMatchObject({ ok: true, messages: [{ status: "accepted" }] });
    expect((await recorded(config))[0]?.body).toEqual({
      To: "+15551230002",
      Body: "hi",
      MessagingServiceSid: service,
      StatusCallback: "https://hooks.example.com/sms/status",
    });
  });

  it("should build the endpoint under a configured base URL, with or without a trailing slash, or Twilio's", ({
    expect,
  }) => {
    expect(messagesUrl({ accountSid: "AC1", baseUrl: "http://127.0.0.1:9/twilio/" })).toBe(
      "http://127.0.0.1:9/twilio/2010-04-01/Accounts/AC1/Messages.json",
    );
    expect(messagesUrl({ accountSid: "AC1" })).toBe("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json");
  });

  it("should authenticate with an API key SID and secret when given", async ({ expect }) => {
    const config = account({ apiKeySid: "SK0123456789abcdef0123456789abcdef", authToken: "key-secret" });
    expect((await sendSms(config, { from: FROM, to: "+15551230003", body: "hi" })).ok).toBe(true);
    expect((await recorded(config))[0]?.headers.authorization).toBe(
      `Basic ${btoa("SK0123456789abcdef0123456789abcdef:key-secret")}`,
    );
  });
});

describe("twilio messages client: long replies", () => {
  const reply = Array.from({ length: 40 }, (_, i) => `Step ${i + 1}: do the thing carefully.`).join(" ");

  it("should send one message per chunk, in order, each as splitSms cut it", async ({ expect }) => {
    const config = account();
    const chunks = splitSms(reply);
    expect(chunks.length).toBe(3);
    const result = await sendSms(config, { from: FROM, to: "+15551230004", body: reply });
    expect(result.ok && result.messages.map((m) => m.body)).toEqual(chunks);
    expect((await recorded(config)).map((r) => r.body.Body)).toEqual(chunks);
  });

  it("should stop at the first failed chunk and say which chunks Twilio already accepted", async ({ expect }) => {
    const config = account();
    const chunks = splitSms(reply);
    const poisoned = reply.replace("Step 20:", "[fake-500] Step 20:");
    const result = await sendSms(config, { from: FROM, to: "+15551230005", body: poisoned });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.sent.map((m) => m.body)).toEqual([chunks[0]]);
    expect(result.failure).toMatchObject({ kind: "server", retryable: true, status: 500, code: 20500 });
    expect(await recorded(config)).toHaveLength(2);
  });
});

describe("twilio messages client: failures", () => {
  const cases = [
    ["+15005550001", { kind: "invalid_request", retryable: false, status: 400, code: 21211 }],
    ["+15005550002", { kind: "invalid_request", retryable: false, status: 400, code: 21612 }],
    ["+15005550004", { kind: "opted_out", retryable: false, status: 400, code: 21610 }],
    ["+15005550429", { kind: "rate_limited", retryable: true, status: 429, code: 20429, retryAfterMs: 3000 }],
    ["+15005550500", { kind: "server", retryable: true, status: 500, code: 20500 }],
    ["+15005550503", { kind: "server", retryable: true, status: 503, code: 20503 }],
  ] as const;

  for (const [to, expected] of cases) {
    it(`should map Twilio's answer for ${to} to ${expected.kind} ${expected.code}`, async ({ expect }) => {
      const result = await sendSms(account(), { from: FROM, to, body: "hi" });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.sent).toEqual([]);
      expect(result.failure).toMatchObject(expected);
      expect(result.failure.moreInfo).toBe(`https://www.twilio.com/docs/errors/${expected.code}`);
      expect(result.failure.message).not.toBe("");
    });
  }

  it("should map a wrong token to a non-retryable auth failure", async ({ expect }) => {
    const result = await sendSms(account({ authToken: "wrong-token" }), { from: FROM, to: "+15551230006", body: "hi" });
    expect(result).toMatchObject({
      ok: false,
      failure: { kind: "auth", retryable: false, status: 401, code: 20003, message: "Authenticate" },
    });
  });

  it("should map no answer at all to a retryable network failure", async ({ expect }) => {
    // An injected fetch: a refused port in workerd also logs an uncaught "Network connection lost".
    const refused: typeof fetch = async () => {
      throw new TypeError("fetch failed: connection refused");
    };
    const result = await sendSms(account({ fetch: refused }), { from: FROM, to: "+1555", body: "hi" });
    expect(result).toMatchObject({
      ok: false,
      failure: {
        kind: "network",
        retryable: true,
        status: null,
        message: "Twilio unreachable: TypeError: fetch failed: connection refused",
      },
    });
  });

  it("should map a 201 that is not a Message resource to malformed_response, not success", async ({ expect }) => {
    const fakeFetch: typeof fetch = async () => new Response("<html>proxy</html>", { status: 201 });
    const result = await sendSms(account({ fetch: fakeFetch }), { from: FROM, to: "+1555", body: "hi" });
    expect(result).toMatchObject({ ok: false, failure: { kind: "malformed_response", retryable: false, status: 201 } });
  });

  it("should refuse an empty body locally, as Twilio would (21602), sending nothing", async ({ expect }) => {
    const config = account();
    const result = await sendSms(config, { from: FROM, to: "+15551230007", body: "   " });
    expect(result).toMatchObject({ ok: false, failure: { kind: "invalid_request", code: 21602 }, sent: [] });
    expect(await recorded(config)).toEqual([]);
  });
});
