/**
 * The voice webhooks through the Worker's entry, every answer parsed as strict XML: a bound caller is
 * greeted with a speech `<Gather>`, what they say goes to the model through the bus while the call waits on
 * a `<Pause>`/`<Redirect>` loop, the answer comes back as `<Say>` inside the next `<Gather>` (XML-escaped),
 * silence or "goodbye" ends with `<Hangup>`; unbound numbers and unsigned requests are refused.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, it, vi } from "vitest";
import { VOICE_GOODBYE, VOICE_GREETING, VOICE_UNKNOWN } from "../../workers/chat/twilio/voice-routes";
import { json, uniqueId } from "./helpers";
import { useChatModel } from "./chat-support";
import { child, parseXml, textOf, type XmlElement } from "./support/xml";
import { bindPhone, postSigned, TWILIO_ACCOUNT_SID, TWILIO_FROM, uniquePhone } from "./twilio-support";

const MODEL = `echo~${uniqueId("voice")}`;
const ORIGIN = "https://botplane.test";

function callForm(from: string, callSid: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CallSid: callSid,
    AccountSid: TWILIO_ACCOUNT_SID,
    From: from,
    To: TWILIO_FROM,
    CallStatus: "in-progress",
    Direction: "inbound",
    ...extra,
  };
}

const newCallSid = () => `CA${crypto.randomUUID().replaceAll("-", "")}`;

async function twimlOf(res: Response): Promise<XmlElement> {
  if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
  const doc = parseXml(await res.text());
  if (doc.name !== "Response") throw new Error(`root <${doc.name}>`);
  return doc;
}

/** The verbs as [name, attributes, text] for exact comparison. */
function verbs(doc: XmlElement): [string, Record<string, string>, string][] {
  return doc.children.map((_, i) => {
    const v = child(doc, i);
    return [v.name, v.attrs, textOf(v)];
  });
}

const GATHER = {
  input: "speech",
  action: `${ORIGIN}/voice/inbound/answer`,
  method: "POST",
  timeout: "6",
  speechTimeout: "auto",
};

beforeAll(async () => {
  await useChatModel(MODEL);
});

describe("POST /voice/inbound", () => {
  it("should greet a bound caller with a speech gather, then say goodbye and hang up on silence", async ({
    expect,
  }) => {
    const phone = uniquePhone();
    await bindPhone(phone, uniqueId("founder"));
    const doc = await twimlOf(await postSigned("/voice/inbound", callForm(phone, newCallSid())));
    expect(verbs(doc)).toEqual([
      ["Gather", GATHER, VOICE_GREETING],
      ["Say", {}, VOICE_GOODBYE],
      ["Hangup", {}, ""],
    ]);
    expect(child(child(doc, 0), 0).name).toBe("Say");
  });

  it("should tell an unbound caller once and hang up", async ({ expect }) => {
    const doc = await twimlOf(await postSigned("/voice/inbound", callForm(uniquePhone(), newCallSid())));
    expect(verbs(doc)).toEqual([
      ["Say", {}, VOICE_UNKNOWN],
      ["Hangup", {}, ""],
    ]);
  });

  it("should answer 403 to an unsigned call and to one signed with another token", async ({ expect }) => {
    const form = callForm(uniquePhone(), newCallSid());
    for (const token of [null, "not-the-auth-token"]) {
      const res = await postSigned("/voice/inbound", form, { token });
      expect(res.status).toBe(403);
      expect((await json<{ error: { code: string } }>(res)).error.code).toBe("invalid_twilio_signature");
    }
  });
});

describe("POST /voice/inbound/answer and /voice/inbound/wait", () => {
  it("should wait on a pause/redirect loop, then say the model's answer escaped inside the next gather", async ({
    expect,
  }) => {
    const phone = uniquePhone();
    await bindPhone(phone, uniqueId("founder"));
    const callSid = newCallSid();
    const said = "is 5 < 7 & <b>bold</b>?";
    const waiting = await twimlOf(
      await postSigned("/voice/inbound/answer", callForm(phone, callSid, { SpeechResult: said, Confidence: "0.9" })),
    );
    const [pauseVerb, redirectVerb, ...rest] = verbs(waiting);
    expect(rest).toEqual([]);
    expect(pauseVerb).toEqual(["Pause", { length: "2" }, ""]);
    expect(redirectVerb?.[0]).toBe("Redirect");
    expect(redirectVerb?.[1]).toEqual({ method: "POST" });
    const next = redirectVerb?.[2] ?? "";
    expect(next).toMatch(/^https:\/\/botplane\.test\/voice\/inbound\/wait\?turn=[0-9a-f-]{36}$/);
    const path = next.slice(ORIGIN.length);

    const answered = await vi.waitFor(
      async () => {
        const doc = await twimlOf(await postSigned(path, callForm(phone, callSid)));
        if (child(doc, 0).name !== "Gather") throw new Error("still waiting");
        return doc;
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(verbs(answered)).toEqual([
      ["Gather", GATHER, `echo: ${said}`],
      ["Say", {}, VOICE_GOODBYE],
      ["Hangup", {}, ""],
    ]);

    // Another call cannot read this call's turn.
    const other = await postSigned(path, callForm(phone, newCallSid()));
    expect(other.status).toBe(404);
  });

  it("should hang up cleanly when the caller says goodbye or nothing", async ({ expect }) => {
    const phone = uniquePhone();
    await bindPhone(phone, uniqueId("founder"));
    const extras: Record<string, string>[] = [{ SpeechResult: "Goodbye." }, {}];
    for (const extra of extras) {
      const doc = await twimlOf(await postSigned("/voice/inbound/answer", callForm(phone, newCallSid(), extra)));
      expect(verbs(doc)).toEqual([
        ["Say", {}, VOICE_GOODBYE],
        ["Hangup", {}, ""],
      ]);
    }
    const { results } = await env.DB.prepare("SELECT id FROM voice_turns WHERE phone = ?").bind(phone).all();
    expect(results).toEqual([]);
  });
});
