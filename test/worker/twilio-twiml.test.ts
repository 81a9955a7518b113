/**
 * TwiML builder (workers/chat/twilio/twiml.ts): every document is parsed back with a strict XML 1.0
 * well-formedness parser (test/worker/support/xml.ts) (no XML library is among the dependencies) and must give back exactly
 * the text that went in; markup characters and control characters in text and attributes are the hard cases.
 */
import { describe, it } from "vitest";
import {
  gather,
  hangup,
  message,
  pause,
  redirect,
  say,
  TWIML_CONTENT_TYPE,
  twiml,
  twimlResponse,
} from "../../workers/chat/twilio/twiml";
import { child, parseXml, textOf } from "./support/xml";

describe("twiml: the strict parser used by these tests", () => {
  it("should refuse malformed documents, so the tests below can fail", ({ expect }) => {
    expect(() => parseXml("<Response><Say>a & b</Say></Response>")).toThrow(/bare &/);
    expect(() => parseXml("<Response><Say>a</Response>")).toThrow(/mismatched/);
    expect(() => parseXml("<Response><Say>a\u0001</Say></Response>")).toThrow(/not an XML char/);
    expect(() => parseXml('<Response a="1" a="2"/>')).toThrow(/duplicate/);
    expect(() => parseXml("<Response/><Response/>")).toThrow(/after the root/);
    expect(() => parseXml("<Response><Say>&#0;</Say></Response>")).toThrow(/not an XML char/);
  });
});

describe("twiml: documents", () => {
  it("should build the voice loop exactly: Gather speech with a nested Say, a fallback Say and a Redirect", ({
    expect,
  }) => {
    const xml = twiml(
      gather(
        { input: "speech", action: "/voice/inbound?turn=2", method: "POST", timeout: 5, speechTimeout: "auto" },
        say("How can I help?"),
      ),
      say("Sorry, I didn't catch that."),
      redirect("/voice/inbound", { method: "POST" }),
    );
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response>' +
        '<Gather input="speech" action="/voice/inbound?turn=2" method="POST" timeout="5" speechTimeout="auto">' +
        "<Say>How can I help?</Say></Gather><Say>Sorry, I didn&apos;t catch that.</Say>" +
        '<Redirect method="POST">/voice/inbound</Redirect></Response>',
    );
    const root = parseXml(xml);
    expect(root.name).toBe("Response");
    expect(child(root, 0)).toEqual({
      name: "Gather",
      attrs: { input: "speech", action: "/voice/inbound?turn=2", method: "POST", timeout: "5", speechTimeout: "auto" },
      children: [{ name: "Say", attrs: {}, children: ["How can I help?"] }],
    });
    expect(textOf(child(root, 1))).toBe("Sorry, I didn't catch that.");
  });

  it("should build the waiting loop and a clean hangup", ({ expect }) => {
    expect(twiml(say("One moment."), pause(2), redirect("/voice/poll?job=j1&n=3"))).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>One moment.</Say><Pause length="2"/>' +
        "<Redirect>/voice/poll?job=j1&amp;n=3</Redirect></Response>",
    );
    const root = parseXml(twiml(say("Goodbye."), hangup()));
    expect(child(root, 1)).toEqual({ name: "Hangup", attrs: {}, children: [] });
    expect(textOf(child(parseXml(twiml(redirect("/voice/poll?job=j1&n=3"))), 0))).toBe("/voice/poll?job=j1&n=3");
  });

  it("should answer an SMS with Message, and nothing with an empty Response", ({ expect }) => {
    expect(twiml(message("Thanks! Working on it."))).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks! Working on it.</Message></Response>',
    );
    expect(parseXml(twiml())).toEqual({ name: "Response", attrs: {}, children: [] });
  });

  it("should serve TwiML as text/xml in UTF-8", async ({ expect }) => {
    const response = twimlResponse(twiml(message("é ✓")));
    expect(response.headers.get("content-type")).toBe(TWIML_CONTENT_TYPE);
    expect(textOf(child(parseXml(await response.text()), 0))).toBe("é ✓");
  });

  it("should refuse durations Twilio would not take", ({ expect }) => {
    expect(() => pause(1.5)).toThrow(RangeError);
    expect(() => gather({ input: "speech", timeout: 0 })).toThrow(RangeError);
    expect(() => gather({ input: "speech", speechTimeout: -1 })).toThrow(RangeError);
  });
});

describe("twiml: escaping", () => {
  const nasty = `<Say>5 > 3 & "quotes" 'apostrophes' </Response><Hangup/>`;

  it("should escape < & > \" ' in text so user text stays text", ({ expect }) => {
    const xml = twiml(say(nasty), message(nasty));
    expect(xml).toContain(
      "&lt;Say&gt;5 &gt; 3 &amp; &quot;quotes&quot; &apos;apostrophes&apos; &lt;/Response&gt;&lt;Hangup/&gt;",
    );
    const root = parseXml(xml);
    expect(root.children).toHaveLength(2);
    expect(textOf(child(root, 0))).toBe(nasty);
    expect(textOf(child(root, 1))).toBe(nasty);
  });

  it("should escape attribute values, keeping tab, LF and CR through attribute normalisation", ({ expect }) => {
    const action = `/voice/next?a=1&b=<2>"x"'y'\tz\nw\rv`;
    const root = parseXml(twiml(gather({ input: "speech", action, hints: 'say "yes" & <no>' })));
    expect(child(root, 0).attrs).toEqual({ input: "speech", action, hints: 'say "yes" & <no>' });
  });

  it("should drop characters XML 1.0 cannot carry and keep everything else", ({ expect }) => {
    const text = "a\u0000b\u0007c\u001Fd\u000Be\uFFFEf\uD800g\uDC00h\tI\nJ\rK \u0085 \u{1F600} \u00A0end";
    const root = parseXml(twiml(say(text), message(text)));
    const kept = "abcdefgh\tI\nJ\rK \u0085 \u{1F600} \u00A0end";
    expect(textOf(child(root, 0))).toBe(kept);
    expect(textOf(child(root, 1))).toBe(kept);
    const attr = parseXml(twiml(redirect("/x", { method: "POST" }), say("x", { voice: "Polly.\u0001Joanna" })));
    expect(child(attr, 1).attrs.voice).toBe("Polly.Joanna");
  });
});
