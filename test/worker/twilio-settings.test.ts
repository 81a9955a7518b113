/**
 * The Twilio and Discord vars (workers/chat/twilio/settings.ts, workers/chat/discord/settings.ts): defaults when
 * blank, a set but unusable value falling back to its default and reported as a config problem, never thrown.
 */
import { describe, it } from "vitest";
import { readDiscordSettings } from "../../workers/chat/discord/settings";
import { readTwilioSettings } from "../../workers/chat/twilio/settings";

describe("twilio settings", () => {
  it("should default to Twilio's API and the request URL, and report nothing, when the vars are blank", ({
    expect,
  }) => {
    expect(readTwilioSettings({ TWILIO_AUTH_TOKEN: " ", TWILIO_WEBHOOK_BASE_URL: "" })).toEqual({
      accountSid: null,
      authToken: null,
      from: null,
      messagingServiceSid: null,
      webhookBaseUrl: null,
      apiBaseUrl: "https://api.twilio.com",
      problems: [],
    });
  });

  it("should take every var as set", ({ expect }) => {
    const settings = readTwilioSettings({
      TWILIO_ACCOUNT_SID: "AC0123456789abcdef0123456789abcdef",
      TWILIO_AUTH_TOKEN: "secret",
      TWILIO_FROM_NUMBER: "+15005550006",
      TWILIO_MESSAGING_SERVICE_SID: "MG0123456789abcdef0123456789abcdef",
      TWILIO_WEBHOOK_BASE_URL: "https://hooks.example.com/botplane",
      TWILIO_API_BASE_URL: "http://127.0.0.1:9999/twilio",
    });
    expect(settings).toMatchObject({
      authToken: "secret",
      webhookBaseUrl: "https://hooks.example.com/botplane",
      apiBaseUrl: "http://127.0.0.1:9999/twilio",
      problems: [],
    });
  });

  it("should fall back and name the var when a URL is unusable", ({ expect }) => {
    const settings = readTwilioSettings({
      TWILIO_WEBHOOK_BASE_URL: "hooks.example.com",
      TWILIO_API_BASE_URL: "ftp://api.twilio.com?x=1",
    });
    expect(settings.webhookBaseUrl).toBeNull();
    expect(settings.apiBaseUrl).toBe("https://api.twilio.com");
    expect(settings.problems).toEqual([
      {
        name: "TWILIO_WEBHOOK_BASE_URL",
        value: "hooks.example.com",
        message: '"hooks.example.com" is not an http(s) URL without query or fragment',
        fallback: "(unset)",
      },
      {
        name: "TWILIO_API_BASE_URL",
        value: "ftp://api.twilio.com?x=1",
        message: '"ftp://api.twilio.com?x=1" is not an http(s) URL without query or fragment',
        fallback: "https://api.twilio.com",
      },
    ]);
  });
});

describe("discord settings", () => {
  it("should default the API base URL and accept a 64-hex public key", ({ expect }) => {
    expect(readDiscordSettings({ DISCORD_PUBLIC_KEY: "ab".repeat(32), DISCORD_APPLICATION_ID: "12" })).toEqual({
      applicationId: "12",
      publicKeyHex: "ab".repeat(32),
      apiBaseUrl: "https://discord.com/api/v10",
      problems: [],
    });
  });

  it("should report a bad public key and base URL and use neither", ({ expect }) => {
    const settings = readDiscordSettings({ DISCORD_PUBLIC_KEY: "xyz", DISCORD_API_BASE_URL: "discord.com" });
    expect([settings.publicKeyHex, settings.apiBaseUrl]).toEqual([null, "https://discord.com/api/v10"]);
    expect(settings.problems.map((p) => p.name)).toEqual(["DISCORD_PUBLIC_KEY", "DISCORD_API_BASE_URL"]);
  });
});
