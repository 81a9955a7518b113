import { describe, expect, it } from "vitest";
import { providedSlot } from "../../workers/platform/provided";

describe("providedSlot", () => {
  it("should throw a wiring error naming the slot until the composition root provides it", () => {
    const slot = providedSlot<number>("the answer");
    expect(slot.has()).toBe(false);
    expect(() => slot.get()).toThrow("the answer was not provided by the Worker entry");
    slot.provide(42);
    expect(slot.has()).toBe(true);
    expect(slot.get()).toBe(42);
  });
});
