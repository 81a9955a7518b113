/**
 * Discord follow-up client (workers/chat/discord/followup-client.ts) against the fake interaction webhooks in
 * test/worker/fake-upstreams: PATCH @original then POST follow-ups, in order, JSON with mentions disabled; a
 * long answer cut under 2,000 characters; Discord's errors (10015, 429 retry_after, 5xx) as typed failures.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import {
  createFollowup,
  DISCORD_MAX_CONTENT,
  editOriginal,
  sendInteractionAnswer,
  splitDiscordContent,
} from "../../workers/chat/discord/followup-client";

const FAKE = env.TEST_FAKE_UPSTREAMS_URL;
const config = { baseUrl: `${FAKE}/discord/api/v10` };
const APP = "1200000000000000001";

interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

function target(prefix = "tok") {
  return { applicationId: APP, token: `${prefix}-${crypto.randomUUID()}` };
}

async function recorded(token: string): Promise<Recorded[]> {
  const path = `/discord/api/v10/webhooks/${APP}/${token}`;
  return (await fetch(`${FAKE}/_requests?path=${encodeURIComponent(path)}`)).json<Recorded[]>();
}

describe("discord follow-up: requests", () => {
  it("should PATCH the original deferred message with JSON content and no mentions", async ({ expect }) => {
    const t = target();
    const result = await editOriginal(config, t, "Focus on @everyone's launch checklist.");
    expect(result.ok).toBe(true);
    const [request, ...more] = await recorded(t.token);
    expect(more).toEqual([]);
    expect(request?.method).toBe("PATCH");
    expect(request?.path).toBe(`/discord/api/v10/webhooks/${APP}/${t.token}/messages/@original`);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.body).toEqual({
      content: "Focus on @everyone's launch checklist.",
      allowed_mentions: { parse: [] },
    });
  });

  it("should POST a follow-up to the interaction webhook and return its message id", async ({ expect }) => {
    const t = target();
    const result = await createFollowup(config, t, "and one more thing");
    expect(result.ok && result.id).toMatch(/^\d{19}$/);
    expect((await recorded(t.token)).map((r) => [r.method, r.path])).toEqual([
      ["POST", `/discord/api/v10/webhooks/${APP}/${t.token}`],
    ]);
  });

  it("should send a long answer as the original plus ordered follow-ups, each within 2,000 characters", async ({
    expect,
  }) => {
    const t = target();
    const answer = Array.from({ length: 300 }, (_, i) => `line ${i + 1} of the plan`).join("\n");
    const pieces = splitDiscordContent(answer);
    expect(pieces.length).toBe(4);
    const result = await sendInteractionAnswer(config, t, answer);
    expect(result.ok && result.messageIds.length).toBe(4);
    const requests = await recorded(t.token);
    expect(requests.map((r) => r.method)).toEqual(["PATCH", "POST", "POST", "POST"]);
    expect(requests.map((r) => r.body.content)).toEqual(pieces);
    expect(pieces.join("\n")).toBe(answer);
    for (const piece of pieces) expect(Array.from(piece).length).toBeLessThanOrEqual(DISCORD_MAX_CONTENT);
  });
});

describe("discord follow-up: splitting", () => {
  it("should cut at the last newline, else space, in the second half, else hard at the limit", ({ expect }) => {
    expect(splitDiscordContent("aaaa bbbb\ncccc dddd", 12)).toEqual(["aaaa bbbb", "cccc dddd"]);
    expect(splitDiscordContent("aaaa bbbb cccc", 12)).toEqual(["aaaa bbbb", "cccc"]);
    expect(splitDiscordContent("x".repeat(25), 10)).toEqual(["x".repeat(10), "x".repeat(10), "x".repeat(5)]);
    expect(splitDiscordContent("😀".repeat(3), 2)).toEqual(["😀😀", "😀"]);
    expect(splitDiscordContent("   ")).toEqual([]);
  });
});

describe("discord follow-up: failures", () => {
  it("should map an expired or unknown token to unknown_webhook 10015, not retryable", async ({ expect }) => {
    const result = await editOriginal(config, target("fake-unknown"), "hi");
    expect(result).toEqual({
      ok: false,
      failure: {
        kind: "unknown_webhook",
        retryable: false,
        status: 404,
        code: 10015,
        message: "Unknown Webhook",
        retryAfterMs: null,
      },
    });
  });

  it("should map 429 to rate_limited with retry_after from the body", async ({ expect }) => {
    const result = await createFollowup(config, target("fake-429"), "hi");
    expect(result).toMatchObject({
      ok: false,
      failure: { kind: "rate_limited", retryable: true, status: 429, retryAfterMs: 1500 },
    });
  });

  it("should map 5xx to a retryable server failure and stop the answer there", async ({ expect }) => {
    const t = target("fake-500");
    const result = await sendInteractionAnswer(config, t, "short answer");
    expect(result).toMatchObject({
      ok: false,
      messageIds: [],
      failure: { kind: "server", retryable: true, status: 500 },
    });
  });

  it("should map content Discord refuses to invalid_request with its code", async ({ expect }) => {
    const result = await editOriginal(config, target(), "x".repeat(2001));
    expect(result).toMatchObject({
      ok: false,
      failure: { kind: "invalid_request", retryable: false, status: 400, code: 50035, message: "Invalid Form Body" },
    });
  });

  it("should map no answer to a retryable network failure", async ({ expect }) => {
    const refused: typeof fetch = async () => {
      throw new TypeError("fetch failed");
    };
    const result = await editOriginal({ fetch: refused }, target(), "hi");
    expect(result).toMatchObject({ ok: false, failure: { kind: "network", retryable: true, status: null } });
  });
});
