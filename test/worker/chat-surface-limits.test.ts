/**
 * Chat rate limits on the surfaces without a 429, through the Worker's entry: a Discord `/ask` over the
 * founder's `discord` bucket gets one ephemeral "slow down, try again in N s" and publishes no event; a voice
 * turn over the founder's `sms` bucket hears one polite `<Say>` and one `<Hangup>` and queues no turn.
 */
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, it, vi } from "vitest";
import { askEventId } from "../../workers/chat/discord/ask-event";
import { slowDown } from "../../workers/chat/discord/interaction-routes";
import { chatRateKey } from "../../workers/chat/limits/chat-rate";
import { VOICE_RATE_LIMITED } from "../../workers/chat/twilio/voice-routes";
import { clearLimitKeys, limitKey, useChatModel } from "./chat-support";
import { ADMIN, call, uniqueId } from "./helpers";
import { postInteraction } from "./support/discord-signer";
import { child, parseXml, textOf } from "./support/xml";
import { bindPhone, postSigned, TWILIO_ACCOUNT_SID, TWILIO_FROM, uniquePhone } from "./twilio-support";

const APP = "1200000000000000001";
beforeAll(async () => {
  await useChatModel(`echo~${uniqueId("surface-limits")}`);
});

afterAll(clearLimitKeys);

let seq = 0;
function snowflake(): string {
  seq += 1;
  return String(1_400_000_000_000_000_000n + BigInt(Date.now()) * 1000n + BigInt(seq));
}

function ask(discordUserId: string, question: string) {
  return {
    id: snowflake(),
    application_id: APP,
    type: 2,
    token: `tok-${crypto.randomUUID()}`,
    version: 1,
    guild_id: "400000000000000001",
    channel_id: "500000000000000001",
    member: { user: { id: discordUserId, username: "founder" } },
    data: { name: "ask", options: [{ name: "question", type: 3, value: question }] },
  };
}

describe("POST /discord/interactions rate limit", () => {
  it("should answer exactly one of N+1 concurrent asks with an ephemeral slow-down and publish no event for it", async ({
    expect,
  }) => {
    const founder = uniqueId("dlimit");
    const discordUser = String(300_000_000_000_000_100n + BigInt(Date.now() % 100_000));
    const bound = await call(`/api/v1/chat/discord-bindings/${discordUser}`, {
      method: "PUT",
      token: await ADMIN(),
      body: { user_id: founder, workspace_id: `ws-${founder}`, trust_mode: 0 },
    });
    expect(bound.status).toBe(201);
    await bound.body?.cancel();
    await limitKey(chatRateKey(founder, "discord"), 3);
    const bodies = Array.from({ length: 4 }, (_, i) => ask(discordUser, `question ${i}`));
    const answers = await Promise.all(
      bodies.map(async (b) => ({ id: b.id, reply: await (await postInteraction(b)).json<Record<string, unknown>>() })),
    );
    const deferred = answers.filter((a) => a.reply.type === 5);
    const refused = answers.filter((a) => a.reply.type === 4);
    expect(deferred).toHaveLength(3);
    expect(refused).toHaveLength(1);
    const content = (refused[0]?.reply.data as { content: string }).content;
    const seconds = Number(/in (\d+) s\.$/.exec(content)?.[1]);
    expect(Number.isInteger(seconds) && seconds >= 1).toBe(true);
    expect(refused[0]?.reply).toEqual({
      type: 4,
      data: { content: slowDown(seconds), flags: 64, allowed_mentions: { parse: [] } },
    });
    // The history holds an event once the bus has run it: wait for the three deferred, then the refused is absent.
    const statusOf = async (id: string) => {
      const event = await call(`/api/v1/events/${await askEventId(id)}`, { token: await ADMIN() });
      await event.body?.cancel();
      return event.status;
    };
    for (const a of deferred) await vi.waitFor(async () => expect(await statusOf(a.id)).toBe(200), { timeout: 15_000 });
    expect(await statusOf(refused[0]?.id ?? "")).toBe(404);
  });
});

describe("POST /voice/inbound/answer rate limit", () => {
  it("should say one polite sentence and hang up when the caller is over the sms limit, queuing nothing", async ({
    expect,
  }) => {
    const founder = uniqueId("vlimit");
    const phone = uniquePhone();
    await bindPhone(phone, founder);
    await limitKey(chatRateKey(founder, "sms"), 1);
    const callSid = () => `CA${crypto.randomUUID().replaceAll("-", "")}`;
    const [CALL_1, CALL_2] = [callSid(), callSid()];
    const form = (callSid: string, speech: string) => ({
      CallSid: callSid,
      AccountSid: TWILIO_ACCOUNT_SID,
      From: phone,
      To: TWILIO_FROM,
      CallStatus: "in-progress",
      Direction: "inbound",
      SpeechResult: speech,
    });
    const first = parseXml(await (await postSigned("/voice/inbound/answer", form(CALL_1, "what is next?"))).text());
    expect(first.children.map((_, i) => child(first, i).name)).toEqual(["Pause", "Redirect"]);

    const res = await postSigned("/voice/inbound/answer", form(CALL_2, "and then?"));
    expect(res.status).toBe(200);
    const doc = parseXml(await res.text());
    expect(doc.name).toBe("Response");
    expect(doc.children.map((_, i) => [child(doc, i).name, textOf(child(doc, i))])).toEqual([
      ["Say", VOICE_RATE_LIMITED],
      ["Hangup", ""],
    ]);
    const { results } = await env.DB.prepare("SELECT call_sid FROM voice_turns WHERE phone = ?").bind(phone).all();
    expect(results).toEqual([{ call_sid: CALL_1 }]);
  });
});
