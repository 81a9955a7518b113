/**
 * In-memory GPIO for tests and for running the agent off a Pi: pin values in a map plus the history of every
 * write, so a test can assert on the exact sequence an LED went through.
 */
import type { GpioBackend, PinValue } from "./backend.js";

export interface MemoryGpio extends GpioBackend {
  readonly kind: "memory";
  /** Every write, oldest first. */
  readonly history: ReadonlyArray<{ pin: number; value: PinValue }>;
  /** The current value of a pin (0 for a pin never written). */
  value(pin: number): PinValue;
  readonly closed: boolean;
}

export function createMemoryGpio(): MemoryGpio {
  const values = new Map<number, PinValue>();
  const history: Array<{ pin: number; value: PinValue }> = [];
  let closed = false;
  return {
    kind: "memory",
    enabled: true,
    history,
    get closed() {
      return closed;
    },
    value: (pin) => values.get(pin) ?? 0,
    async write(pin, value) {
      values.set(pin, value);
      history.push({ pin, value });
    },
    read: async (pin) => values.get(pin) ?? 0,
    async close() {
      closed = true;
    },
  };
}
