/**
 * POST /sms/inbound through the Worker's entry: signatures (403, nothing stored), an unbound number, the
 * STOP/START/HELP keywords, and a message answered asynchronously — empty TwiML at once, then one chat turn
 * on surface `sms` (the fake OpenAI echo model) carried by the bus and sent through the fake Twilio REST API,
 * exactly once even when Twilio retries the webhook and the bus redelivers the event.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, it, vi } from "vitest";
import { smsBusHandlers } from "../../workers/chat/twilio/sms-reply";
import { HELP_REPLY, UNKNOWN_NUMBER_REPLY } from "../../workers/chat/twilio/sms-routes";
import { gatewayModel } from "../../workers/gateway-model";
import type { BusEvent } from "../../workers/platform/bus/envelope";
import { handlerContext } from "../../workers/platform/bus/handlers";
import { createLogger } from "../../workers/platform/logger";
import { ADMIN, call, json, uniqueId } from "./helpers";
import { founderToken, useChatModel } from "./chat-support";
import { bindPhone, postSigned, smsForm, smsSentTo, uniqueMessageSid, uniquePhone } from "./twilio-support";

const MODEL = `echo~${uniqueId("sms")}`;
const EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

interface InboundRow {
  message_sid: string;
  event_id: string;
  reply: string | null;
  sent_at: number | null;
}

async function inboundRows(phone: string): Promise<InboundRow[]> {
  const { results } = await env.DB.prepare(
    "SELECT message_sid, event_id, reply, sent_at FROM sms_inbound WHERE phone = ? ORDER BY received_at",
  )
    .bind(phone)
    .all<InboundRow>();
  return results;
}

async function optedOutAt(phone: string): Promise<number | null> {
  const row = await env.DB.prepare("SELECT opted_out_at FROM phone_bindings WHERE phone = ?")
    .bind(phone)
    .first<{ opted_out_at: number | null }>();
  return row?.opted_out_at ?? null;
}

/** Waits until the bus handler marked the message sent (the queue delivers it in the background). */
async function waitUntilSent(phone: string): Promise<InboundRow[]> {
  return vi.waitFor(
    async () => {
      const rows = await inboundRows(phone);
      if (rows.length === 0 || rows.some((r) => r.sent_at === null)) throw new Error("not sent yet");
      return rows;
    },
    { timeout: 15_000, interval: 50 },
  );
}

beforeAll(async () => {
  await useChatModel(MODEL);
});

describe("POST /sms/inbound: signature", () => {
  it("should answer 403 to an unsigned request and store nothing", async ({ expect }) => {
    const phone = uniquePhone();
    await bindPhone(phone, uniqueId("founder"));
    const res = await postSigned("/sms/inbound", smsForm(phone, "hello"), { token: null });
    expect(res.status).toBe(403);
    const body = await json<{ error: { code: string; details: { reason: string } } }>(res);
    expect(body.error).toMatchObject({ code: "invalid_twilio_signature", details: { reason: "missing_signature" } });
    expect(await inboundRows(phone)).toEqual([]);
  });

  it("should answer 403 to a request signed with another token and store nothing", async ({ expect }) => {
    const phone = uniquePhone();
    await bindPhone(phone, uniqueId("founder"));
    const res = await postSigned("/sms/inbound", smsForm(phone, "hello"), { token: "not-the-auth-token" });
    expect(res.status).toBe(403);
    expect((await json<{ error: { details: { reason: string } } }>(res)).error.details.reason).toBe("bad_signature");
    expect(await inboundRows(phone)).toEqual([]);
  });

  it("should answer 400 naming the field for a signed form that is not Twilio's shape", async ({ expect }) => {
    const res = await postSigned("/sms/inbound", { ...smsForm(uniquePhone(), "hi"), MessageSid: "nope" });
    expect(res.status).toBe(400);
    const body = await json<{ error: { code: string; details: { issues: { field: string }[] } } }>(res);
    expect(body.error.code).toBe("invalid_input");
    expect(body.error.details.issues.map((i) => i.field)).toEqual(["body.MessageSid"]);
  });
});

describe("POST /sms/inbound: numbers and keywords", () => {
  it("should answer an unbound number with one polite message and nothing else", async ({ expect }) => {
    const phone = uniquePhone();
    const res = await postSigned("/sms/inbound", smsForm(phone, "who is this?"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/xml; charset=utf-8");
    expect(await res.text()).toBe(
      `<?xml version="1.0" encoding="UTF-8"?><Response><Message>${UNKNOWN_NUMBER_REPLY}</Message></Response>`,
    );
    expect(await inboundRows(phone)).toEqual([]);
  });

  it("should answer HELP with the fixed help text, XML-escaped", async ({ expect }) => {
    const phone = uniquePhone();
    await bindPhone(phone, uniqueId("founder"));
    const res = await postSigned("/sms/inbound", smsForm(phone, "help"));
    expect(await res.text()).toBe(
      `<?xml version="1.0" encoding="UTF-8"?><Response><Message>${HELP_REPLY.replace("&", "&amp;")}</Message></Response>`,
    );
    expect(await inboundRows(phone)).toEqual([]);
  });

  it("should remember STOP, answer nothing while opted out, and lift it on START", async ({ expect }) => {
    const phone = uniquePhone();
    await bindPhone(phone, uniqueId("founder"));
    const stop = await postSigned("/sms/inbound", smsForm(phone, "Stop"));
    expect(await stop.text()).toBe(EMPTY);
    expect(await optedOutAt(phone)).toEqual(expect.any(Number));

    const ignored = await postSigned("/sms/inbound", smsForm(phone, "are you there?"));
    expect(await ignored.text()).toBe(EMPTY);
    expect(await inboundRows(phone)).toEqual([]);

    const start = await postSigned("/sms/inbound", smsForm(phone, "START"));
    expect(await start.text()).toBe(EMPTY);
    expect(await optedOutAt(phone)).toBeNull();
  });
});

describe("POST /sms/inbound: the reply", () => {
  it("should answer at once with empty TwiML and send the reply once, however often Twilio retries", async ({
    expect,
  }) => {
    const phone = uniquePhone();
    const founder = uniqueId("founder");
    await bindPhone(phone, founder);
    const form = smsForm(phone, "what is my stage?");
    const first = await postSigned("/sms/inbound", form);
    expect(first.status).toBe(200);
    expect(await first.text()).toBe(EMPTY);
    // Twilio's retry of the same webhook (same MessageSid).
    const retry = await postSigned("/sms/inbound", form);
    expect(await retry.text()).toBe(EMPTY);

    const rows = await waitUntilSent(phone);
    expect(rows.map((r) => [r.message_sid, r.reply])).toEqual([[form.MessageSid, "echo: what is my stage?"]]);
    expect(await smsSentTo(phone)).toEqual([{ To: phone, From: "+15005550006", Body: "echo: what is my stage?" }]);

    // The bus redelivers the event: the handler finds it sent and sends nothing.
    const row = rows[0];
    if (!row) throw new Error("no row");
    const event = await json<BusEvent>(await call(`/api/v1/events/${row.event_id}`, { token: await ADMIN() }));
    const handler = smsBusHandlers(gatewayModel)["chat.sms.received.v1"]?.[0];
    if (!handler) throw new Error("no handler");
    await handler.run(event, env, createLogger("test", "ERROR"), handlerContext(env, event.event_id, handler.name));
    expect(await smsSentTo(phone)).toHaveLength(1);
  });

  it("should continue the binding's session across messages", async ({ expect }) => {
    const phone = uniquePhone();
    const founder = uniqueId("founder");
    await bindPhone(phone, founder);
    await postSigned("/sms/inbound", smsForm(phone, "first message"));
    await waitUntilSent(phone);
    await postSigned("/sms/inbound", smsForm(phone, "second message", uniqueMessageSid()));
    await waitUntilSent(phone);
    expect((await smsSentTo(phone)).map((m) => m.Body)).toEqual(["echo: first message", "echo: second message"]);
    const binding = await env.DB.prepare("SELECT session_id FROM phone_bindings WHERE phone = ?")
      .bind(phone)
      .first<{ session_id: string | null }>();
    const res = await call(`/session/${binding?.session_id ?? "none"}?surface=sms`, {
      token: await founderToken({ user_id: founder }),
    });
    expect(res.status).toBe(200);
    const session = await json<{ surface: string; context: { role: string; content: string }[] }>(res);
    expect(session.surface).toBe("sms");
    expect(session.context.map((t) => t.content)).toEqual([
      "first message",
      "echo: first message",
      "second message",
      "echo: second message",
    ]);
  });
});
