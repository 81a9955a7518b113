import { describe, it } from "vitest";
import { Backoff, backoffCeiling, fullJitterDelay } from "../../edge-agent/src/connection/backoff";

const options = { baseMs: 500, maxMs: 30_000 };

describe("edge-agent backoff", () => {
  it("should double the ceiling per attempt up to the cap", ({ expect }) => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6, 7, 100, 5000].map((attempt) => backoffCeiling(attempt, options));
    expect(ceilings).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000]);
  });

  it("should draw between 0 and just under the ceiling", ({ expect }) => {
    expect(fullJitterDelay(3, { ...options, random: () => 0 })).toBe(0);
    expect(fullJitterDelay(3, { ...options, random: () => 0.5 })).toBe(2000);
    expect(fullJitterDelay(3, { ...options, random: () => 0.999_999 })).toBe(3999);
    expect(fullJitterDelay(50, { ...options, random: () => 0.999_999 })).toBe(29_999);
  });

  it("should stay within [0, ceiling) for every draw of a seeded generator", ({ expect }) => {
    // A small LCG: deterministic, so a failure reproduces.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let attempt = 0; attempt < 40; attempt += 1) {
      for (let i = 0; i < 50; i += 1) {
        const delay = fullJitterDelay(attempt, { ...options, random });
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(backoffCeiling(attempt, options));
        expect(Number.isInteger(delay)).toBe(true);
      }
    }
  });

  it("should count attempts and start over after reset", ({ expect }) => {
    const backoff = new Backoff({ ...options, random: () => 0.5 });
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([250, 500, 1000]);
    expect(backoff.attempts).toBe(3);
    backoff.reset();
    expect(backoff.next()).toBe(250);
  });

  it("should refuse bad options and out-of-range draws", ({ expect }) => {
    expect(() => new Backoff({ baseMs: 0, maxMs: 10 })).toThrow(/baseMs/);
    expect(() => new Backoff({ baseMs: 100, maxMs: 10 })).toThrow(/maxMs/);
    expect(() => backoffCeiling(-1, options)).toThrow(/attempt/);
    expect(() => fullJitterDelay(0, { ...options, random: () => 1 })).toThrow(/\[0, 1\)/);
  });
});
