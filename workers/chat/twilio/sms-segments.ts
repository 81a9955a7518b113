/**
 * SMS encoding and segment arithmetic, and how a long reply is cut into messages.
 *
 * A text made only of GSM 03.38 characters travels as GSM-7: 160 septets in one SMS, 153 per segment once it
 * is concatenated (the header takes 7); the extension characters (`^ { } \ [ ~ ] | €`, form feed) take two
 * septets and are never split across segments. Any other character makes the whole message UCS-2: 70 UTF-16
 * units alone, 67 per segment, a surrogate pair never split.
 *
 * The decision (why `splitSms` exists although Twilio accepts 1,600 characters and concatenates itself): a
 * reply is sent as several messages of at most `maxSegments` segments each (default 4: 612 GSM-7 / 268 UCS-2
 * characters), cut at a paragraph, line, sentence or word boundary. Twilio refuses bodies over 1,600
 * characters outright (error 21617), long concatenated messages are where handsets and carriers fail to
 * reassemble (Twilio recommends staying under 320 characters), and when a carrier does split a message it
 * cuts mid-word. Each chunk is sent only after Twilio accepted the previous one, so they leave in order.
 */

export type SmsEncoding = "GSM-7" | "UCS-2";

const GSM_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿" +
  "abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENSION = "^{}\\[~]|€\f";
const BASIC = new Set(Array.from(GSM_BASIC));
const EXTENSION = new Set(Array.from(GSM_EXTENSION));

export const SINGLE_LIMIT: Record<SmsEncoding, number> = { "GSM-7": 160, "UCS-2": 70 };
export const SEGMENT_LIMIT: Record<SmsEncoding, number> = { "GSM-7": 153, "UCS-2": 67 };
/** Twilio's cap on one Messages API `Body` (error 21617 beyond it). */
export const TWILIO_MAX_BODY_CHARS = 1600;

function isGsm(char: string): boolean {
  return BASIC.has(char) || EXTENSION.has(char);
}

export function smsEncoding(text: string): SmsEncoding {
  for (const char of text) if (!isGsm(char)) return "UCS-2";
  return "GSM-7";
}

/** Septets (GSM-7) or UTF-16 units (UCS-2) each code point takes. */
function units(chars: readonly string[], encoding: SmsEncoding): number[] {
  return chars.map((c) => (encoding === "GSM-7" ? (EXTENSION.has(c) ? 2 : 1) : c.length));
}

function segmentsOf(costs: readonly number[], encoding: SmsEncoding): number {
  const total = costs.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  if (total <= SINGLE_LIMIT[encoding]) return 1;
  const per = SEGMENT_LIMIT[encoding];
  let segments = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > per) {
      segments += 1;
      used = 0;
    }
    used += cost;
  }
  return segments;
}

/** How many SMS segments one message with this body costs. */
export function countSegments(text: string): number {
  const chars = Array.from(text);
  return segmentsOf(units(chars, smsEncoding(text)), smsEncoding(text));
}

/** The longest prefix (in code points) that fits `maxSegments` segments in its own encoding. */
function fittingPrefix(chars: readonly string[], maxSegments: number): number {
  const limit = Math.min(chars.length, maxSegments * SINGLE_LIMIT["GSM-7"], TWILIO_MAX_BODY_CHARS);
  let low = 0;
  let high = limit;
  // Segments grow monotonically with the prefix, so a binary search finds the largest that fits.
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    const prefix = chars.slice(0, mid);
    const encoding = smsEncoding(prefix.join(""));
    if (segmentsOf(units(prefix, encoding), encoding) <= maxSegments) low = mid;
    else high = mid - 1;
  }
  return low;
}

const BOUNDARIES: readonly RegExp[] = [/\n\s*\n/g, /\n/g, /[.!?…](?=\s)/g, /[,;:](?=\s)/g, /\s/g];

/** Where to cut inside the fitting prefix: the last strong boundary in its second half, else the hard edge. */
function cutPoint(prefix: string): number {
  for (const boundary of BOUNDARIES) {
    let last = -1;
    for (const m of prefix.matchAll(boundary)) last = m.index + m[0].length;
    if (last > prefix.length / 2) return last;
  }
  return prefix.length;
}

/** Splits a reply into SMS bodies of at most `maxSegments` segments each, at sane boundaries, trimmed. */
export function splitSms(text: string, maxSegments = 4): string[] {
  if (!Number.isInteger(maxSegments) || maxSegments < 1 || maxSegments > 10)
    throw new RangeError("maxSegments must be a whole number from 1 to 10");
  const chunks: string[] = [];
  let rest = Array.from(text.trim());
  while (rest.length > 0) {
    const fit = fittingPrefix(rest, maxSegments);
    const prefix = rest.slice(0, fit);
    const cut = fit === rest.length ? fit : Array.from(prefix.join("").slice(0, cutPoint(prefix.join("")))).length;
    const chunk = rest.slice(0, Math.max(cut, 1)).join("").trim();
    if (chunk !== "") chunks.push(chunk);
    rest = Array.from(rest.slice(Math.max(cut, 1)).join("").trimStart());
  }
  return chunks;
}
