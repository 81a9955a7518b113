/**
 * The SMS reply handler's sends that crash midway: Twilio's Messages API has no idempotency key, so a chunk
 * whose send is in doubt is looked up in Twilio's Message list before it is sent again, and a transient
 * failure mid-reply resends only the chunks Twilio did not take.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, it, vi } from "vitest";
import { smsBusHandlers } from "../../workers/chat/twilio/sms-reply";
import { gatewayModel } from "../../workers/gateway-model";
import type { BusEvent } from "../../workers/platform/bus/envelope";
import { handlerContext } from "../../workers/platform/bus/handlers";
import { createLogger } from "../../workers/platform/logger";
import { useChatModel } from "./chat-support";
import { ADMIN, call, json, uniqueId } from "./helpers";
import { bindPhone, postSigned, smsForm, smsSentTo, uniquePhone } from "./twilio-support";

const MODEL = `echo~${uniqueId("sms-doubt")}`;

interface Row {
  event_id: string;
  reply: string | null;
  segments_sent: number;
  sending_since: number | null;
  sent_at: number | null;
}

async function rowOf(phone: string): Promise<Row> {
  const row = await env.DB.prepare(
    "SELECT event_id, reply, segments_sent, sending_since, sent_at FROM sms_inbound WHERE phone = ?",
  )
    .bind(phone)
    .first<Row>();
  if (!row) throw new Error(`no sms_inbound row for ${phone}`);
  return row;
}

async function answered(phone: string): Promise<Row> {
  return vi.waitFor(
    async () => {
      const row = await rowOf(phone);
      if (row.sent_at === null) throw new Error("not sent yet");
      return row;
    },
    { timeout: 15_000, interval: 50 },
  );
}

/** Puts the row back as a delivery that crashed right after posting chunk `segment` would leave it. */
async function crashedMidSend(phone: string, fields: { reply?: string; segment: number }): Promise<void> {
  await env.DB.prepare(
    `UPDATE sms_inbound SET sent_at = NULL, claimed_at = 1, segments_sent = ?2, sending_since = ?3,
       reply = coalesce(?4, reply) WHERE phone = ?1`,
  )
    .bind(phone, fields.segment, Date.now() - 60_000, fields.reply ?? null)
    .run();
}

/** Runs the handler again on the row's event, as the bus would redeliver it. */
async function redeliver(phone: string): Promise<void> {
  const row = await rowOf(phone);
  const event = await json<BusEvent>(await call(`/api/v1/events/${row.event_id}`, { token: await ADMIN() }));
  const handler = smsBusHandlers(gatewayModel)["chat.sms.received.v1"]?.[0];
  if (!handler) throw new Error("no handler");
  await handler.run(event, env, createLogger("test", "ERROR"), handlerContext(env, event.event_id, handler.name));
}

beforeAll(async () => {
  await useChatModel(MODEL);
});

describe("chat.sms.received.v1 handler: a send in doubt", () => {
  it("should not send again a chunk Twilio took before the crash", async ({ expect }) => {
    const phone = uniquePhone();
    await bindPhone(phone, uniqueId("founder"));
    await postSigned("/sms/inbound", smsForm(phone, "took it"));
    await answered(phone);
    expect(await smsSentTo(phone)).toHaveLength(1);

    await crashedMidSend(phone, { segment: 0 });
    await redeliver(phone);

    expect((await smsSentTo(phone)).map((m) => m.Body)).toEqual(["echo: took it"]);
    const row = await rowOf(phone);
    expect([row.segments_sent, row.sending_since, row.sent_at === null]).toEqual([1, null, false]);
  });

  it("should send a chunk in doubt that Twilio never took", async ({ expect }) => {
    const phone = uniquePhone();
    await bindPhone(phone, uniqueId("founder"));
    await postSigned("/sms/inbound", smsForm(phone, "first"));
    await answered(phone);

    await crashedMidSend(phone, { segment: 0, reply: "a reply Twilio never saw" });
    await redeliver(phone);

    expect((await smsSentTo(phone)).map((m) => m.Body)).toEqual(["echo: first", "a reply Twilio never saw"]);
    expect((await rowOf(phone)).segments_sent).toBe(1);
  });

  it("should resend only the chunks Twilio did not take after a transient failure mid-reply", async ({ expect }) => {
    const phone = uniquePhone();
    await bindPhone(phone, uniqueId("founder"));
    // Two chunks (each at most four segments); the second fails once at Twilio with a 500.
    const text = `${"a".repeat(600)} ${"b".repeat(300)} [fake-500-once] ${uniqueId("tail")}`;
    await postSigned("/sms/inbound", smsForm(phone, text));
    const row = await answered(phone);

    const bodies = (await smsSentTo(phone)).map((m) => m.Body);
    expect(bodies).toHaveLength(3);
    expect(bodies[1]).toBe(bodies[2]);
    expect(bodies[0]?.startsWith("echo: aaa")).toBe(true);
    expect(bodies[0] === bodies[1]).toBe(false);
    expect([row.segments_sent, row.sending_since]).toEqual([2, null]);
  });
});
