/**
 * `POST /discord/interactions` through the Worker's real entry, signed with the test key, and the bus handler
 * that answers `/ask`: verification failures are 401 with nothing published or posted, PING is PONG, an
 * unbound user gets only an ephemeral "not linked", a bound user's `/ask` is deferred at once and answered
 * through the (fake) interaction webhook from the bus; a redelivery re-edits with the kept answer (no second
 * turn), a transient Discord failure is retried with the same answer, and nothing posts after the token is gone.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, it } from "vitest";
import {
  askEventId,
  DISCORD_ASK_SUBJECT,
  discordSessionId,
  type DiscordAskPayload,
} from "../../workers/chat/discord/ask-event";
import { pendingInteraction, saveInteractionToken } from "../../workers/chat/discord/interaction-tokens";
import { discordBusHandlers, DISCORD_ASK_HANDLER } from "../../workers/chat/discord/ask-handler";
import { NOT_LINKED } from "../../workers/chat/discord/interaction-routes";
import { gatewayModel } from "../../workers/gateway-model";
import { createEvent } from "../../workers/platform/bus/envelope";
import { handlerContext } from "../../workers/platform/bus/handlers";
import { createLogger } from "../../workers/platform/logger";
import { founderToken, useChatModel } from "./chat-support";
import { ADMIN, call, json, uniqueId } from "./helpers";
import { postInteraction } from "./support/discord-signer";

const FAKE = env.TEST_FAKE_UPSTREAMS_URL;
const APP = "1200000000000000001";
const MODEL = `echo~${uniqueId("discord")}`;
const log = createLogger("test", "ERROR");

interface Recorded {
  method: string;
  path: string;
  body: { content?: string };
}

/** Every request the fake got for this interaction token (its `_requests` filter matches by path prefix). */
async function recorded(token: string): Promise<Recorded[]> {
  const path = `/discord/api/v10/webhooks/${APP}/${token}`;
  return (await fetch(`${FAKE}/_requests?path=${encodeURIComponent(path)}`)).json<Recorded[]>();
}

let seq = 0;
/** A fresh interaction id per test, so tests never share ledger rows or events. */
function snowflake(): string {
  seq += 1;
  return String(1_300_000_000_000_000_000n + BigInt(Date.now()) * 1000n + BigInt(seq));
}

function ask(discordUserId: string, question: string, token = `tok-${crypto.randomUUID()}`) {
  return {
    id: snowflake(),
    application_id: APP,
    type: 2,
    token,
    version: 1,
    guild_id: "400000000000000001",
    channel_id: "500000000000000001",
    member: { user: { id: discordUserId, username: "founder" } },
    data: { name: "ask", options: [{ name: "question", type: 3, value: question }] },
  };
}

async function bind(discordUserId: string, founder: string, trustMode = 0): Promise<void> {
  const res = await call(`/api/v1/chat/discord-bindings/${discordUserId}`, {
    method: "PUT",
    token: await ADMIN(),
    body: { user_id: founder, workspace_id: `ws-${founder}`, trust_mode: trustMode },
  });
  if (res.status !== 201) throw new Error(`bind: ${res.status}`);
}

async function eventually<T>(probe: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  let value = await probe();
  for (let i = 0; i < 200 && !done(value); i++) {
    await new Promise((r) => setTimeout(r, 25));
    value = await probe();
  }
  return value;
}

beforeAll(async () => {
  await useChatModel(MODEL);
});

describe("POST /discord/interactions: verification", () => {
  it("should answer 401 to an unsigned request and publish nothing", async ({ expect }) => {
    const body = ask("300000000000000010", "hello?");
    const res = await postInteraction(body, { signature: null });
    expect(res.status).toBe(401);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe("invalid_signature");
    const event = await call(`/api/v1/events/${await askEventId(body.id)}`, { token: await ADMIN() });
    expect(event.status).toBe(404);
    await event.body?.cancel();
  });

  it("should answer 401 to a mis-signed or stale request", async ({ expect }) => {
    const badSig = await postInteraction(ask("300000000000000010", "hi"), { signature: "ab".repeat(64) });
    expect(badSig.status).toBe(401);
    await badSig.body?.cancel();
    const stale = await postInteraction(ask("300000000000000010", "hi"), {
      timestamp: String(Math.floor(Date.now() / 1000) - 3600),
    });
    expect(stale.status).toBe(401);
    expect((await json<{ error: { details: { reason: string } } }>(stale)).error.details.reason).toBe(
      "stale_timestamp",
    );
  });

  it("should answer PING with PONG", async ({ expect }) => {
    const res = await postInteraction({ id: snowflake(), application_id: APP, type: 1, token: "t", version: 1 });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ type: 1 });
  });
});

describe("POST /discord/interactions: /ask", () => {
  it("should give an unbound Discord user only an ephemeral 'not linked' reply", async ({ expect }) => {
    const body = ask("300000000000000011", "who am I?");
    const res = await postInteraction(body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      type: 4,
      data: { content: NOT_LINKED, flags: 64, allowed_mentions: { parse: [] } },
    });
    const event = await call(`/api/v1/events/${await askEventId(body.id)}`, { token: await ADMIN() });
    expect(event.status).toBe(404);
    await event.body?.cancel();
    expect(await recorded(body.token)).toEqual([]);
  });

  it("should defer a bound user's /ask at once and edit @original with the answer from the bus", async ({ expect }) => {
    await bind("300000000000000012", "founder-discord-1");
    const body = ask("300000000000000012", "what is my plan?");
    const res = await postInteraction(body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ type: 5 });
    const posted = await eventually(
      () => recorded(body.token),
      (r) => r.length > 0,
    );
    expect(posted.map((r) => [r.method, r.body.content])).toEqual([["PATCH", "echo: what is my plan?"]]);
    // The token never reaches the readable event history, and is forgotten once the answer went out.
    const event = await call(`/api/v1/events/${await askEventId(body.id)}`, { token: await ADMIN() });
    expect(event.status).toBe(200);
    expect(await event.text()).not.toContain(body.token);
    expect(await pendingInteraction(env, body.id, Date.now())).toBeNull();
  });
});

async function askEvent(interactionId: string, question: string) {
  return createEvent({
    type: DISCORD_ASK_SUBJECT,
    source: "test",
    eventId: await askEventId(interactionId),
    payload: {
      interaction_id: interactionId,
      application_id: APP,
      question,
      discord_user_id: "300000000000000013",
      guild_id: null,
      channel_id: "500000000000000002",
      user_id: "founder-discord-2",
      workspace_id: "ws-discord-2",
    },
  });
}

describe("POST /discord/interactions: trust mode", () => {
  it("should open the /ask session at the binding's trust mode capped by the discord surface", async ({ expect }) => {
    await bind("300000000000000014", "founder-discord-3", 2);
    const body = ask("300000000000000014", "which mode?");
    expect((await postInteraction(body)).status).toBe(200);
    await eventually(
      () => recorded(body.token),
      (r) => r.length > 0,
    );
    const event = await json<{ payload: DiscordAskPayload }>(
      await call(`/api/v1/events/${await askEventId(body.id)}`, { token: await ADMIN() }),
    );
    expect(event.payload.trust_mode).toBe(1);
    const session = await call(`/session/${await discordSessionId(event.payload)}?surface=discord`, {
      token: await founderToken({
        user_id: "founder-discord-3",
        workspace_id: "ws-founder-discord-3",
        trust_mode_max: 1,
      }),
    });
    expect(session.status).toBe(200);
    expect(await json<{ trust_mode: number; surface: string }>(session)).toMatchObject({
      trust_mode: 1,
      surface: "discord",
    });
  });
});

describe("chat.discord.ask.v1 handler", () => {
  it("should edit @original again with the kept answer, not a new turn, when redelivered", async ({ expect }) => {
    const handler = discordBusHandlers(gatewayModel)[DISCORD_ASK_SUBJECT]?.[0];
    if (!handler) throw new Error("no handler");
    const token = `tok-${crypto.randomUUID()}`;
    const interactionId = snowflake();
    const event = await askEvent(interactionId, "twice?");
    await saveInteractionToken(env, interactionId, token, Date.now());
    await handler.run(event, env, log, handlerContext(env, event.event_id, DISCORD_ASK_HANDLER));
    expect(await pendingInteraction(env, interactionId, Date.now())).toBeNull();
    // As if the process died after posting, before forgetting the token: the row still holds the answer the
    // turn made (a marker here, so a second turn would show as "echo: twice?").
    await saveInteractionToken(env, interactionId, token, Date.now());
    await env.DB.prepare("UPDATE discord_interaction_tokens SET answer = ? WHERE interaction_id = ?")
      .bind("the kept answer", interactionId)
      .run();
    await handler.run(event, env, log, handlerContext(env, event.event_id, DISCORD_ASK_HANDLER));
    const posted = await recorded(token);
    expect(posted.map((r) => [r.method, r.body.content])).toEqual([
      ["PATCH", "echo: twice?"],
      ["PATCH", "the kept answer"],
    ]);
    // A redelivery once the answer went out (token forgotten) posts nothing.
    await handler.run(event, env, log, handlerContext(env, event.event_id, DISCORD_ASK_HANDLER));
    expect(await recorded(token)).toHaveLength(2);
  });

  it("should throw on a transient Discord failure and post the same answer on the retry", async ({ expect }) => {
    const handler = discordBusHandlers(gatewayModel)[DISCORD_ASK_SUBJECT]?.[0];
    if (!handler) throw new Error("no handler");
    const token = `fake-flaky-${crypto.randomUUID()}`;
    const interactionId = snowflake();
    const event = await askEvent(interactionId, "flaky?");
    await saveInteractionToken(env, interactionId, token, Date.now());
    await expect(
      handler.run(event, env, log, handlerContext(env, event.event_id, DISCORD_ASK_HANDLER)),
    ).rejects.toThrow(/Discord answer not posted \(server\)/);
    expect((await pendingInteraction(env, interactionId, Date.now()))?.answer).toBe("echo: flaky?");
    await handler.run(event, env, log, handlerContext(env, event.event_id, DISCORD_ASK_HANDLER));
    const posted = await recorded(token);
    expect(posted.map((r) => [r.method, r.body.content])).toEqual([
      ["PATCH", "echo: flaky?"],
      ["PATCH", "echo: flaky?"],
    ]);
    expect(await pendingInteraction(env, interactionId, Date.now())).toBeNull();
  });

  it("should refuse an invalid payload as permanent", async ({ expect }) => {
    const handler = discordBusHandlers(gatewayModel)[DISCORD_ASK_SUBJECT]?.[0];
    if (!handler) throw new Error("no handler");
    const event = createEvent({ type: DISCORD_ASK_SUBJECT, source: "test", payload: { question: "" } });
    await expect(
      handler.run(event, env, log, handlerContext(env, event.event_id, DISCORD_ASK_HANDLER)),
    ).rejects.toThrow(/PermanentError|payload\./);
  });
});
