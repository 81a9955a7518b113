/**
 * `X-Twilio-Signature` (workers/chat/twilio/signature.ts): Twilio's documented example reproduced byte for
 * byte, and vectors computed independently (Python hmac/hashlib) for the port rule, repeated keys, GET and the
 * JSON `bodySHA256` variant, through `verifyTwilioRequest` with real Requests behind a configured public URL.
 */
import { describe, it } from "vitest";
import {
  computeTwilioSignature,
  publicWebhookUrl,
  signedPayload,
  twilioBodyHash,
  verifyTwilioRequest,
  verifyTwilioSignature,
} from "../../workers/chat/twilio/signature";

// Twilio's worked example (Webhooks security guide; twilio-node's tests): auth token 12345.
const TOKEN = "12345";
const DOC_URL = "https://mycompany.com/myapp.php?foo=1&bar=2";
const DOC_PARAMS: [string, string][] = [
  ["CallSid", "CA1234567890ABCDE"],
  ["Caller", "+12349013030"],
  ["Digits", "1234"],
  ["From", "+12349013030"],
  ["To", "+18005551212"],
];
const DOC_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";

// twilio-samples/api-snippets security/signature_validation_json: the body and its bodySHA256.
const JSON_BODY = '{"CallSid":"CA1234567890ABCDE","Caller":"+12349013030"}';
const JSON_HASH = "5ccde7145dfb8f56479710896586cb9d5911809d83afbe34627818790db0aec9";
const JSON_URL = `https://example.com/myapp?bodySHA256=${JSON_HASH}`;

/** A webhook as it reaches the Worker behind a proxy: internal host, Twilio's path and query. */
function webhook(pathAndQuery: string, init: { body?: string; type?: string; signature?: string; method?: string }) {
  const headers = new Headers({ "content-type": init.type ?? "application/x-www-form-urlencoded" });
  if (init.signature !== undefined) headers.set("x-twilio-signature", init.signature);
  return new Request(`http://10.0.0.7:8787${pathAndQuery}`, {
    method: init.method ?? "POST",
    headers,
    body: init.method === "GET" ? null : (init.body ?? ""),
  });
}

// Written out of order and form-encoded, as a client would send it: the signature sorts the names.
const DOC_FORM = "To=%2B18005551212&CallSid=CA1234567890ABCDE&Digits=1234&From=%2B12349013030&Caller=%2B12349013030";

describe("twilio signature: Twilio's documented example", () => {
  it("should reproduce the documented signature byte for byte", async ({ expect }) => {
    expect(signedPayload(DOC_URL, DOC_PARAMS)).toBe(
      "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+12349013030Digits1234From+12349013030To+18005551212",
    );
    expect(await computeTwilioSignature(TOKEN, DOC_URL, DOC_PARAMS)).toBe(DOC_SIGNATURE);
    expect(await verifyTwilioSignature(TOKEN, DOC_SIGNATURE, DOC_URL, DOC_PARAMS)).toBe(true);
  });

  it("should accept the documented request arriving through a proxy, using the configured public base URL", async ({
    expect,
  }) => {
    const request = webhook("/myapp.php?foo=1&bar=2", { body: DOC_FORM, signature: DOC_SIGNATURE });
    const result = await verifyTwilioRequest(request, { authToken: TOKEN, baseUrl: "https://mycompany.com" });
    expect(result.ok).toBe(true);
    if (!result.ok || result.kind !== "form") throw new Error("expected a verified form");
    expect(result.url).toBe(DOC_URL);
    expect(result.params.get("From")).toBe("+12349013030");
  });

  it("should refuse the internal URL when no public base URL is configured", async ({ expect }) => {
    const request = webhook("/myapp.php?foo=1&bar=2", { body: DOC_FORM, signature: DOC_SIGNATURE });
    expect(await verifyTwilioRequest(request, { authToken: TOKEN })).toEqual({
      ok: false,
      reason: "bad_signature",
      url: "http://10.0.0.7:8787/myapp.php?foo=1&bar=2",
    });
  });
});

describe("twilio signature: invalid and missing", () => {
  const base = { authToken: TOKEN, baseUrl: "https://mycompany.com" };

  it("should refuse a missing header as missing_signature", async ({ expect }) => {
    const result = await verifyTwilioRequest(webhook("/myapp.php?foo=1&bar=2", { body: DOC_FORM }), base);
    expect(result).toMatchObject({ ok: false, reason: "missing_signature" });
  });

  it("should refuse everything, without throwing, when no auth token is configured", async ({ expect }) => {
    for (const authToken of [null, ""]) {
      const request = webhook("/myapp.php?foo=1&bar=2", { body: DOC_FORM, signature: DOC_SIGNATURE });
      const result = await verifyTwilioRequest(request, { authToken, baseUrl: "https://mycompany.com" });
      expect(result).toMatchObject({ ok: false, reason: "not_configured" });
    }
  });

  it("should refuse a tampered parameter, a changed query, another token and a truncated signature", async ({
    expect,
  }) => {
    const tampered = DOC_FORM.replace("Digits=1234", "Digits=9999");
    for (const [path, body, opts] of [
      ["/myapp.php?foo=1&bar=2", tampered, base],
      ["/myapp.php?foo=1&bar=3", DOC_FORM, base],
      ["/myapp.php?foo=1&bar=2", DOC_FORM, { ...base, authToken: "54321" }],
    ] as const) {
      const result = await verifyTwilioRequest(webhook(path, { body, signature: DOC_SIGNATURE }), opts);
      expect(result).toMatchObject({ ok: false, reason: "bad_signature" });
    }
    // atob would forgive the missing padding; the comparison is over the text, so it does not.
    expect(await verifyTwilioSignature(TOKEN, DOC_SIGNATURE.slice(0, -1), DOC_URL, DOC_PARAMS)).toBe(false);
    expect(await verifyTwilioSignature(TOKEN, "", DOC_URL, DOC_PARAMS)).toBe(false);
    expect(await verifyTwilioSignature(TOKEN, null, DOC_URL, DOC_PARAMS)).toBe(false);
  });
});

describe("twilio signature: URL forms", () => {
  it("should accept a signature made with the default port when the configured URL has none, and the reverse", async ({
    expect,
  }) => {
    const withPort = "EpDEmp1PyjDYp77YxYU3GILBWzE="; // over https://mycompany.com:443/myapp.php?foo=1&bar=2…
    expect(await computeTwilioSignature(TOKEN, "https://mycompany.com:443/myapp.php?foo=1&bar=2", DOC_PARAMS)).toBe(
      withPort,
    );
    expect(await verifyTwilioSignature(TOKEN, withPort, DOC_URL, DOC_PARAMS)).toBe(true);
    expect(
      await verifyTwilioSignature(TOKEN, DOC_SIGNATURE, "https://mycompany.com:443/myapp.php?foo=1&bar=2", DOC_PARAMS),
    ).toBe(true);
    expect(
      await verifyTwilioSignature(TOKEN, DOC_SIGNATURE, "https://mycompany.com:8443/myapp.php?foo=1&bar=2", DOC_PARAMS),
    ).toBe(true);
    expect(await verifyTwilioSignature(TOKEN, withPort, "http://mycompany.com/myapp.php?foo=1&bar=2", DOC_PARAMS)).toBe(
      false,
    );
  });

  it("should keep the base URL's path prefix and the request's query exactly", ({ expect }) => {
    expect(
      publicWebhookUrl("https://hooks.example.com/botplane/", "http://127.0.0.1:8787/sms/inbound?a=1&b=%2B2"),
    ).toBe("https://hooks.example.com/botplane/sms/inbound?a=1&b=%2B2");
    expect(publicWebhookUrl(undefined, "https://bot.example.com/sms/inbound")).toBe(
      "https://bot.example.com/sms/inbound",
    );
  });

  it("should verify a GET webhook whose parameters are in the query, appending nothing", async ({ expect }) => {
    const path = "/voice/inbound?CallSid=CA0123456789abcdef0123456789abcdef&From=%2B15005550006";
    const request = webhook(path, { method: "GET", signature: "40A5+F1Q3Tmj/Ek/FvosmfToCxQ=" });
    const result = await verifyTwilioRequest(request, { authToken: TOKEN, baseUrl: "https://hooks.example.com" });
    expect(result).toMatchObject({ ok: true, kind: "form" });
  });
});

describe("twilio signature: repeated form keys", () => {
  it("should sign each distinct value of a repeated name, sorted, after the sorted names", async ({ expect }) => {
    const url = "https://hooks.example.com/sms/inbound";
    const form =
      "To=%2B15005550006&MediaUrl=https%3A%2F%2Fb.example%2F2&Body=hi&MediaUrl=https%3A%2F%2Fa.example%2F1&MediaUrl=https%3A%2F%2Fb.example%2F2";
    const params = new URLSearchParams(form);
    expect(signedPayload(url, params)).toBe(
      `${url}BodyhiMediaUrlhttps://a.example/1MediaUrlhttps://b.example/2To+15005550006`,
    );
    const signature = "3POhos8sfeXGac6vishx1eE23CU=";
    expect(await computeTwilioSignature(TOKEN, url, params)).toBe(signature);
    const result = await verifyTwilioRequest(webhook("/sms/inbound", { body: form, signature }), {
      authToken: TOKEN,
      baseUrl: "https://hooks.example.com",
    });
    expect(result.ok).toBe(true);
    if (!result.ok || result.kind !== "form") throw new Error("expected a verified form");
    expect(result.params.getAll("MediaUrl")).toEqual([
      "https://b.example/2",
      "https://a.example/1",
      "https://b.example/2",
    ]);
  });
});

describe("twilio signature: JSON bodies (bodySHA256)", () => {
  const signature = "hPXmLwIy3Fgqv1i9KPmH/HhQ6zo="; // over the URL alone, token 12345
  const opts = { authToken: TOKEN, baseUrl: "https://example.com" };
  const json = (body: string, sig = signature) =>
    webhook(`/myapp?bodySHA256=${JSON_HASH}`, { body, type: "application/json", signature: sig });

  it("should hash the body as Twilio's sample shows and sign the URL with nothing appended", async ({ expect }) => {
    expect(await twilioBodyHash(JSON_BODY)).toBe(JSON_HASH);
    expect(await computeTwilioSignature(TOKEN, JSON_URL)).toBe(signature);
  });

  it("should accept the signed URL with the body that hashes to bodySHA256, and return the raw body", async ({
    expect,
  }) => {
    expect(await verifyTwilioRequest(json(JSON_BODY), opts)).toEqual({
      ok: true,
      kind: "json",
      rawBody: JSON_BODY,
      url: JSON_URL,
    });
  });

  it("should refuse a changed body, a bad signature and a missing one, each with its reason", async ({ expect }) => {
    const changed = JSON_BODY.replace("+12349013030", "+12349013031");
    expect(await verifyTwilioRequest(json(changed), opts)).toMatchObject({ ok: false, reason: "body_hash_mismatch" });
    expect(await verifyTwilioRequest(json(JSON_BODY, DOC_SIGNATURE), opts)).toMatchObject({
      ok: false,
      reason: "bad_signature",
    });
    const unsigned = webhook(`/myapp?bodySHA256=${JSON_HASH}`, { body: JSON_BODY, type: "application/json" });
    expect(await verifyTwilioRequest(unsigned, opts)).toMatchObject({ ok: false, reason: "missing_signature" });
  });
});
