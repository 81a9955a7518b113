/**
 * Twilio inbound webhook forms (workers/chat/twilio/inbound.ts): the Messaging and Voice request parameters
 * as Twilio posts them (unknown ones ignored), MMS media, field-named issues for bad input, and the STOP/START/
 * HELP keywords from Twilio's default lists, single-word only, or Twilio's own `OptOutType` verdict.
 */
import { describe, it } from "vitest";
import { detectKeyword, parseInboundCall, parseInboundSms } from "../../workers/chat/twilio/inbound";

const MESSAGE_SID = "SM0123456789abcdef0123456789abcdef";
const ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef";
const CALL_SID = "CAfedcba9876543210fedcba9876543210";

/** An inbound SMS form as Twilio posts it, with its geographic and status extras. */
function sms(over: Record<string, string> = {}, drop: string[] = []): URLSearchParams {
  const form = new URLSearchParams({
    ToCountry: "US",
    ToState: "CA",
    SmsMessageSid: MESSAGE_SID,
    NumMedia: "0",
    ToCity: "",
    FromZip: "94105",
    SmsSid: MESSAGE_SID,
    FromState: "CA",
    SmsStatus: "received",
    FromCity: "SAN FRANCISCO",
    Body: "What should I focus on today?",
    FromCountry: "US",
    To: "+15005550006",
    MessagingServiceSid: "MG0123456789abcdef0123456789abcdef",
    ToZip: "",
    NumSegments: "1",
    MessageSid: MESSAGE_SID,
    AccountSid: ACCOUNT_SID,
    From: "+14155550100",
    ApiVersion: "2010-04-01",
    ...over,
  });
  for (const name of drop) form.delete(name);
  return form;
}

function call(over: Record<string, string> = {}): URLSearchParams {
  return new URLSearchParams({
    AccountSid: ACCOUNT_SID,
    ApiVersion: "2010-04-01",
    CallSid: CALL_SID,
    CallStatus: "in-progress",
    Called: "+15005550006",
    Caller: "+14155550100",
    Direction: "inbound",
    From: "+14155550100",
    To: "+15005550006",
    ...over,
  });
}

describe("twilio inbound: SMS", () => {
  it("should parse Twilio's SMS form and ignore the parameters it does not need", ({ expect }) => {
    expect(parseInboundSms(sms())).toEqual({
      ok: true,
      value: {
        messageSid: MESSAGE_SID,
        accountSid: ACCOUNT_SID,
        messagingServiceSid: "MG0123456789abcdef0123456789abcdef",
        from: "+14155550100",
        to: "+15005550006",
        body: "What should I focus on today?",
        numMedia: 0,
        numSegments: 1,
        media: [],
        keyword: null,
      },
    });
  });

  it("should collect MMS media and require each MediaUrl that NumMedia announces", ({ expect }) => {
    const mms = sms({
      Body: "",
      NumMedia: "2",
      MediaUrl0: "https://api.twilio.com/2010-04-01/Accounts/AC…/Media/ME1",
      MediaContentType0: "image/jpeg",
      MediaUrl1: "https://api.twilio.com/2010-04-01/Accounts/AC…/Media/ME2",
    });
    const parsed = parseInboundSms(mms);
    expect(parsed.ok && parsed.value.media).toEqual([
      { url: "https://api.twilio.com/2010-04-01/Accounts/AC…/Media/ME1", contentType: "image/jpeg" },
      { url: "https://api.twilio.com/2010-04-01/Accounts/AC…/Media/ME2", contentType: null },
    ]);
    expect(parseInboundSms(sms({ NumMedia: "1" }))).toEqual({
      ok: false,
      issues: [{ field: "body.MediaUrl0", message: "is required" }],
    });
  });

  it("should name each bad or missing field", ({ expect }) => {
    const parsed = parseInboundSms(sms({ MessageSid: "SM123", NumMedia: "two" }, ["From"]));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.issues.map((i) => i.field).sort()).toEqual(["body.From", "body.MessageSid", "body.NumMedia"]);
    expect(parsed.issues.find((i) => i.field === "body.MessageSid")?.message).toBe(
      "must be a Twilio SID starting SM or MM",
    );
  });

  it("should treat a missing Body as empty and not as a keyword", ({ expect }) => {
    const parsed = parseInboundSms(sms({}, ["Body"]));
    expect(parsed.ok && [parsed.value.body, parsed.value.keyword]).toEqual(["", null]);
  });
});

describe("twilio inbound: keywords", () => {
  const cases: [string, "stop" | "start" | "help" | null][] = [
    ["STOP", "stop"],
    ["  stop\n", "stop"],
    ["Stop.", "stop"],
    ["STOPALL", "stop"],
    ["unsubscribe", "stop"],
    ["Cancel", "stop"],
    ["END", "stop"],
    ["quit!", "stop"],
    ["REVOKE", "stop"],
    ["optout", "stop"],
    ["START", "start"],
    ["yes", "start"],
    ["Unstop", "start"],
    ["HELP", "help"],
    ["info", "help"],
    ["STOP PLEASE", null],
    ["please stop", null],
    ["stopp", null],
    ["HELP ME", null],
    ["", null],
  ];

  it("should match only a whole single-word body from Twilio's lists, in any case", ({ expect }) => {
    expect(cases.map(([body]) => [body, detectKeyword(body)])).toEqual(cases);
  });

  it("should take Twilio's OptOutType verdict for a custom Advanced Opt-Out keyword", ({ expect }) => {
    const parsed = parseInboundSms(sms({ Body: "ARRET", OptOutType: "STOP" }));
    expect(parsed.ok && parsed.value.keyword).toBe("stop");
    const sms2 = parseInboundSms(sms({ Body: "help" }));
    expect(sms2.ok && sms2.value.keyword).toBe("help");
  });
});

describe("twilio inbound: voice", () => {
  it("should parse a Gather callback with the speech trimmed and the confidence as a number", ({ expect }) => {
    expect(parseInboundCall(call({ SpeechResult: "  What is my plan this week?  ", Confidence: "0.9234" }))).toEqual({
      ok: true,
      value: {
        callSid: CALL_SID,
        accountSid: ACCOUNT_SID,
        from: "+14155550100",
        to: "+15005550006",
        callStatus: "in-progress",
        direction: "inbound",
        speechResult: "What is my plan this week?",
        confidence: 0.9234,
        digits: null,
      },
    });
  });

  it("should give null speech for a first request, and accept client and anonymous callers", ({ expect }) => {
    const first = parseInboundCall(call({ CallStatus: "ringing", From: "client:alice" }));
    expect(first.ok && [first.value.speechResult, first.value.from, first.value.callStatus]).toEqual([
      null,
      "client:alice",
      "ringing",
    ]);
    const anonymous = parseInboundCall(call({ From: "anonymous", SpeechResult: "   " }));
    expect(anonymous.ok && [anonymous.value.from, anonymous.value.speechResult]).toEqual(["anonymous", null]);
  });

  it("should name a bad confidence, status or SID", ({ expect }) => {
    const parsed = parseInboundCall(call({ Confidence: "1.5", CallStatus: "dancing", CallSid: "CA1" }));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.issues.map((i) => i.field).sort()).toEqual(["body.CallSid", "body.CallStatus", "body.Confidence"]);
  });
});
