/**
 * Chat rate limits per founder per surface (key `wb:rate:{founder_id}:{surface}` in the RateLimiter object)
 * through the Worker's entry: N+1 concurrent POST /chat against N tokens → exactly one 429 `rate_limited`
 * with Retry-After; other surfaces and founders untouched; SMS answered with one polite TwiML reply instead,
 * then silence while the limit lasts; and CHAT_RATE_LIMITS parsing.
 */
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, it } from "vitest";
import { limitsConfig, parseRateLimits } from "../../workers/chat/limits/config";
import { chatRateKey } from "../../workers/chat/limits/chat-rate";
import { SMS_RATE_LIMITED_REPLY } from "../../workers/chat/limits/sms-notice";
import { escapeXmlText } from "../../workers/chat/twilio/twiml";
import { call, json, uniqueId } from "./helpers";
import { clearLimitKeys, founderToken, limitKey, useChatModel } from "./chat-support";
import { bindPhone, postSigned, smsForm, uniquePhone } from "./twilio-support";

const EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>';
beforeAll(async () => {
  await useChatModel(`echo~${uniqueId("limits")}`);
});

afterAll(clearLimitKeys);

describe("POST /chat rate limit", () => {
  it("should answer exactly one of N+1 concurrent turns with 429 rate_limited and Retry-After", async ({ expect }) => {
    const founder = uniqueId("rl");
    await limitKey(chatRateKey(founder, "web"), 4);
    const auth = await founderToken({ user_id: founder });
    const responses = await Promise.all(
      Array.from({ length: 5 }, (_, i) => call("/chat", { token: auth, body: { message: `hello number ${i}` } })),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    const refused = responses.find((r) => r.status === 429);
    const retryAfter = Number(refused?.headers.get("retry-after"));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
    const body = await json<{ error: { code: string; details: { limit: string; surface: string } } }>(
      refused ?? new Response("{}"),
    );
    expect(body.error.code).toBe("rate_limited");
    expect(body.error.details).toMatchObject({ limit: "chat", surface: "web" });
  });

  it("should keep each surface and each founder in its own bucket", async ({ expect }) => {
    const founder = uniqueId("rl");
    await limitKey(chatRateKey(founder, "web"), 1);
    const auth = await founderToken({ user_id: founder });
    expect((await call("/chat", { token: auth, body: { message: "one" } })).status).toBe(200);
    expect((await call("/chat", { token: auth, body: { message: "two" } })).status).toBe(429);
    const other = await call("/chat", { token: auth, body: { message: "three", surface: "extension" } });
    expect(other.status).toBe(200);
    const stranger = await founderToken({ user_id: uniqueId("rl") });
    expect((await call("/chat", { token: stranger, body: { message: "four" } })).status).toBe(200);
  });

  it("should refuse a streamed turn over the limit before the stream starts", async ({ expect }) => {
    const founder = uniqueId("rl");
    await limitKey(chatRateKey(founder, "web"), 1);
    const auth = await founderToken({ user_id: founder });
    await (await call("/chat", { token: auth, body: { message: "first", stream: true } })).text();
    const res = await call("/chat", { token: auth, body: { message: "second", stream: true } });
    expect(res.status).toBe(429);
    expect(res.headers.get("content-type")).toContain("application/json");
  });
});

describe("POST /sms/inbound rate limit", () => {
  it("should reply politely once instead of a 429, then stay silent and store nothing", async ({ expect }) => {
    const founder = uniqueId("rl-sms");
    const phone = uniquePhone();
    await bindPhone(phone, founder);
    await limitKey(chatRateKey(founder, "sms"), 2);
    const answers: string[] = [];
    const forms = Array.from({ length: 4 }, (_, i) => smsForm(phone, `question ${i}`));
    const retried = forms[0] ?? smsForm(phone, "never");
    for (const form of forms) {
      const res = await postSigned("/sms/inbound", form);
      expect(res.status).toBe(200);
      answers.push(await res.text());
    }
    expect(answers).toEqual([
      EMPTY,
      EMPTY,
      `<?xml version="1.0" encoding="UTF-8"?><Response><Message>${escapeXmlText(SMS_RATE_LIMITED_REPLY)}</Message></Response>`,
      EMPTY,
    ]);
    // Twilio retrying an accepted message's webhook: the same message, no second token, still accepted.
    expect(await (await postSigned("/sms/inbound", retried)).text()).toBe(EMPTY);
    const accepted = await env.DB.prepare("SELECT COUNT(*) AS n FROM sms_inbound WHERE phone = ?")
      .bind(phone)
      .first<{ n: number }>();
    expect(accepted?.n).toBe(2);
  });
});

describe("CHAT_RATE_LIMITS", () => {
  const base = {
    web: { capacity: 1, refill_per_hour: 1, burst_per_second: 1 },
    extension: { capacity: 1, refill_per_hour: 1, burst_per_second: 1 },
    sms: { capacity: 1, refill_per_hour: 1, burst_per_second: 1 },
    discord: { capacity: 1, refill_per_hour: 1, burst_per_second: 1 },
  };

  it("should read each surface's capacity, refill and burst, keeping unlisted surfaces", ({ expect }) => {
    const parsed = parseRateLimits(" web=60/minute:5 , sms=48/day ", base);
    expect(parsed).toEqual({
      ok: true,
      value: {
        ...base,
        web: { capacity: 60, refill_per_hour: 3600, burst_per_second: 5 },
        sms: { capacity: 48, refill_per_hour: 2, burst_per_second: 10 },
      },
    });
  });

  it("should refuse an unknown surface and a malformed entry", ({ expect }) => {
    expect(parseRateLimits("fax=10/hour", base)).toEqual({
      ok: false,
      message: "unknown surface 'fax' (one of web, extension, sms, discord)",
    });
    expect(parseRateLimits("web=10", base)).toEqual({
      ok: false,
      message: `"web=10" is not '<surface>=<n>/<unit>[:<burst>]'`,
    });
  });

  it("should fall back to each documented default on a bad var, naming it", ({ expect }) => {
    const config = limitsConfig({
      CHAT_RATE_LIMITS: "web=lots",
      CHAT_MONTHLY_BUDGET_USD: "-3",
      CHAT_RECALL_TOP_K: "0",
      CHAT_RECALL_THRESHOLD: "1.5",
      LOG_LEVEL: "ERROR",
    });
    expect(config.rateLimits.web).toEqual({ capacity: 120, refill_per_hour: 120, burst_per_second: 10 });
    expect(config.monthlyBudgetUsd).toBe(0);
    expect(config.recallTopK).toBe(0);
    expect(config.recallThreshold).toBe(0.75);
    expect(config.problems.map((p) => p.name)).toEqual([
      "CHAT_RATE_LIMITS",
      "CHAT_MONTHLY_BUDGET_USD",
      "CHAT_RECALL_THRESHOLD",
    ]);
  });

  it("should report the chat_limits_config check as ok on /health with wrangler.toml's vars", async ({ expect }) => {
    const body = await json<{ checks: Record<string, { status: string }> }>(await call("/health"));
    expect(body.checks.chat_limits_config?.status).toBe("ok");
  });
});
