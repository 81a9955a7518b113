/**
 * A small TwiML builder for the verbs the chat gateway answers with: `<Message>` for SMS, and `<Say>`,
 * `<Gather input="speech">`, `<Pause>`, `<Redirect>`, `<Hangup>` for voice. Every text node and attribute value
 * is XML-escaped (`& < > " '`), and characters XML 1.0 cannot carry at all (C0 controls other than tab, LF and
 * CR, lone surrogates, U+FFFE/U+FFFF) are dropped, so model or user text can never break the document.
 * Twilio reads nesting rules from the verbs (https://www.twilio.com/docs/voice/twiml,
 * https://www.twilio.com/docs/messaging/twiml); the types here only allow what Twilio accepts.
 */

export const TWIML_CONTENT_TYPE = "text/xml; charset=utf-8";
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

type AttrValue = string | number | boolean | undefined;
type Attrs = Record<string, AttrValue>;

interface Element<V extends string> {
  readonly verb: V;
  readonly xml: string;
}

export type SayNode = Element<"Say">;
export type PauseNode = Element<"Pause">;
export type GatherNode = Element<"Gather">;
export type MessageNode = Element<"Message">;
export type RedirectNode = Element<"Redirect">;
export type HangupNode = Element<"Hangup">;
export type TwimlNode = SayNode | PauseNode | GatherNode | MessageNode | RedirectNode | HangupNode;

// XML 1.0 `Char`: anything outside it is not allowed even as a character reference.
const NOT_XML_CHAR =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point: they are dropped
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// A parser turns a literal CR (or CRLF) into LF before anything else; a reference keeps it.
const TEXT_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  "\r": "&#13;",
};
// Attribute-value normalisation would turn literal tab, LF and CR into spaces; references keep them.
const ATTR_ESCAPES: Record<string, string> = { ...TEXT_ESCAPES, "\t": "&#9;", "\n": "&#10;", "\r": "&#13;" };

/** Text content: the five markup characters and CR escaped, non-XML characters dropped. */
export function escapeXmlText(text: string): string {
  return text.replace(NOT_XML_CHAR, "").replace(/[&<>"'\r]/g, (c) => TEXT_ESCAPES[c] ?? c);
}

/** An attribute value: as text, plus tab, LF and CR as character references. */
export function escapeXmlAttr(value: string): string {
  return value.replace(NOT_XML_CHAR, "").replace(/[&<>"'\t\n\r]/g, (c) => ATTR_ESCAPES[c] ?? c);
}

function element<V extends string>(verb: V, attrs: Attrs, inner?: string): Element<V> {
  const attrText = Object.entries(attrs)
    .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
    .map(([name, value]) => ` ${name}="${escapeXmlAttr(String(value))}"`)
    .join("");
  const xml = inner === undefined || inner === "" ? `<${verb}${attrText}/>` : `<${verb}${attrText}>${inner}</${verb}>`;
  return { verb, xml };
}

function seconds(name: string, value: number | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be a whole number ≥ ${min}`);
  return value;
}

export type HttpMethod = "GET" | "POST";

/** `<Say>`: speaks text (voice and language default to Twilio's). */
export function say(text: string, options: { voice?: string; language?: string; loop?: number } = {}): SayNode {
  return element(
    "Say",
    { voice: options.voice, language: options.language, loop: seconds("loop", options.loop, 0) },
    escapeXmlText(text),
  );
}

/** `<Pause>`: silence for `length` seconds (Twilio's default 1). */
export function pause(length?: number): PauseNode {
  return element("Pause", { length: seconds("length", length, 1) });
}

export interface GatherOptions {
  /** What to listen for; the chat gateway wants "speech". */
  input: "speech" | "dtmf" | "dtmf speech";
  /** Where Twilio POSTs `SpeechResult`/`Confidence` (relative URLs resolve against the current document). */
  action?: string;
  method?: HttpMethod;
  /** Seconds of silence before the gather gives up waiting for the caller to start (default 5). */
  timeout?: number;
  /** Seconds of silence that end the speech, or "auto" to let Twilio detect the end of the sentence. */
  speechTimeout?: number | "auto";
  language?: string;
  hints?: string;
  speechModel?: string;
  profanityFilter?: boolean;
  /** POST to `action` even when nothing was heard, instead of falling through to the next verb. */
  actionOnEmptyResult?: boolean;
}

/** `<Gather>`: prompts (nested `<Say>`/`<Pause>`) while listening. */
export function gather(options: GatherOptions, ...prompts: (SayNode | PauseNode)[]): GatherNode {
  const speechTimeout = options.speechTimeout === "auto" ? "auto" : seconds("speechTimeout", options.speechTimeout, 1);
  return element(
    "Gather",
    {
      input: options.input,
      action: options.action,
      method: options.method,
      timeout: seconds("timeout", options.timeout, 1),
      speechTimeout,
      language: options.language,
      hints: options.hints,
      speechModel: options.speechModel,
      profanityFilter: options.profanityFilter,
      actionOnEmptyResult: options.actionOnEmptyResult,
    },
    prompts.map((p) => p.xml).join(""),
  );
}

/** `<Message>`: an SMS reply to the sender (Twilio splits bodies over 160 GSM-7 characters itself). */
export function message(body: string, options: { action?: string; method?: HttpMethod } = {}): MessageNode {
  return element("Message", { action: options.action, method: options.method }, escapeXmlText(body));
}

/** `<Redirect>`: fetch the next TwiML document from `url`. */
export function redirect(url: string, options: { method?: HttpMethod } = {}): RedirectNode {
  return element("Redirect", { method: options.method }, escapeXmlText(url));
}

/** `<Hangup>`: end the call. */
export function hangup(): HangupNode {
  return element("Hangup", {});
}

/** A whole TwiML document; `<Response/>` with no verbs tells Twilio to do nothing (no SMS reply). */
export function twiml(...verbs: TwimlNode[]): string {
  return DECLARATION + element("Response", {}, verbs.map((v) => v.xml).join("")).xml;
}

/** An HTTP response carrying TwiML, with the content type Twilio expects. */
export function twimlResponse(xml: string, status = 200): Response {
  return new Response(xml, { status, headers: { "content-type": TWIML_CONTENT_TYPE } });
}
