/**
 * SMS encoding, segment counts and the reply splitter (workers/chat/twilio/sms-segments.ts): GSM-7 160/153
 * with two-septet extension characters that never straddle a segment, UCS-2 70/67 with surrogate pairs that
 * never straddle one, and chunks that fit `maxSegments` and end at a sane boundary.
 */
import { describe, it } from "vitest";
import { countSegments, smsEncoding, splitSms } from "../../workers/chat/twilio/sms-segments";

describe("sms segments: encoding", () => {
  it("should pick GSM-7 for the GSM 03.38 set (extension characters included) and UCS-2 otherwise", ({ expect }) => {
    expect(smsEncoding("Hello, world! @£$¥ èéùìò ÄÖÑÜ§¿ äöñüà")).toBe("GSM-7");
    expect(smsEncoding("braces {} [] ~ | ^ \\ €")).toBe("GSM-7");
    expect(smsEncoding("façade")).toBe("UCS-2"); // lowercase ç is not in GSM 03.38 (only Ç is)
    expect(smsEncoding("ok 😀")).toBe("UCS-2");
    expect(smsEncoding("`backtick`")).toBe("UCS-2");
  });
});

describe("sms segments: counting", () => {
  it("should count GSM-7 as 160 alone and 153 per concatenated segment", ({ expect }) => {
    expect(countSegments("")).toBe(0);
    expect(countSegments("a".repeat(160))).toBe(1);
    expect(countSegments("a".repeat(161))).toBe(2);
    expect(countSegments("a".repeat(306))).toBe(2);
    expect(countSegments("a".repeat(307))).toBe(3);
  });

  it("should count extension characters as two septets and never split one across segments", ({ expect }) => {
    expect(countSegments("a".repeat(159) + "€")).toBe(2);
    expect(countSegments("a".repeat(158) + "€")).toBe(1);
    // 152 + 2 + 152 = 306 septets, but the brace cannot straddle the first boundary: 152 | 2+151 | 1.
    expect(countSegments("a".repeat(152) + "{" + "a".repeat(152))).toBe(3);
  });

  it("should count UCS-2 as 70 units alone and 67 per segment, never splitting a surrogate pair", ({ expect }) => {
    expect(countSegments("ж".repeat(70))).toBe(1);
    expect(countSegments("ж".repeat(71))).toBe(2);
    expect(countSegments("ж".repeat(134))).toBe(2);
    expect(countSegments("ж".repeat(135))).toBe(3);
    expect(countSegments("😀".repeat(35))).toBe(1); // 70 units
    // 134 units would be two segments of 67, but an emoji is 2 units: 33 fit per segment → 33 | 33 | 1.
    expect(countSegments("😀".repeat(67))).toBe(3);
  });
});

describe("sms segments: splitting a reply", () => {
  const sentences = Array.from({ length: 60 }, (_, i) => `Sentence number ${i + 1} is here.`).join(" ");

  it("should keep a short reply whole", ({ expect }) => {
    expect(splitSms("  Hi there.  ")).toEqual(["Hi there."]);
    expect(splitSms("")).toEqual([]);
  });

  it("should cut a long reply into chunks of at most four segments, each ending a sentence, losing nothing", ({
    expect,
  }) => {
    const chunks = splitSms(sentences);
    // 1,670 characters: 606 (sentence 22 ends 6 short of the 612-septet window), then 587 and 475.
    expect(chunks.map((c) => c.length)).toEqual([606, 587, 475]);
    for (const chunk of chunks) {
      expect(countSegments(chunk)).toBeLessThanOrEqual(4);
      expect(chunk.endsWith(".")).toBe(true);
    }
    expect(chunks.join(" ")).toBe(sentences);
  });

  it("should prefer a paragraph break in the second half of the window", ({ expect }) => {
    const first = "word ".repeat(80).trim(); // 399 characters
    const second = "more ".repeat(100).trim();
    expect(splitSms(`${first}\n\n${second}`)).toEqual([first, second]);
  });

  it("should hard-cut a run with no boundary at exactly the segment capacity", ({ expect }) => {
    expect(splitSms("x".repeat(1000)).map((c) => c.length)).toEqual([612, 388]);
    expect(splitSms("x".repeat(400), 1).map((c) => c.length)).toEqual([160, 160, 80]);
  });

  it("should give a chunk holding an emoji the UCS-2 capacity and never split the emoji", ({ expect }) => {
    const text = "😀" + "y".repeat(300);
    const [first, ...rest] = splitSms(text);
    expect(first).toBe("😀" + "y".repeat(266)); // 2 + 266 = 268 units = 4 × 67
    expect(rest).toEqual(["y".repeat(34)]);
  });

  it("should refuse a segment budget Twilio cannot send", ({ expect }) => {
    expect(() => splitSms("hi", 0)).toThrow(RangeError);
    expect(() => splitSms("hi", 11)).toThrow(RangeError);
  });
});
