/**
 * The GPIO port every backend implements, the error it raises, and the two wrappers that sit in front of any
 * backend: the allowed-pin guard and the disabled (no-op) backend for `ENABLE_GPIO_INTEGRATION=false`.
 */

export type PinValue = 0 | 1;

export interface GpioBackend {
  /** Which backend this is, for logs and the `gpio.*` command results. */
  readonly kind: "sysfs-led" | "gpiod-v1" | "gpiod-v2" | "memory" | "disabled";
  /** False only for the disabled backend: writes are accepted and ignored, so callers can report that. */
  readonly enabled: boolean;
  write(pin: number, value: PinValue): Promise<void>;
  read(pin: number): Promise<PinValue>;
  /** Releases every line held (libgpiod v2 holder processes); the backend is unusable afterwards. */
  close(): Promise<void>;
}

export type GpioErrorCode = "pin_not_allowed" | "gpio_disabled" | "gpio_failed";

export class GpioError extends Error {
  override readonly name = "GpioError";
  constructor(
    readonly code: GpioErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Refuses every pin outside `allowed` before the backend is asked to touch it. */
export function guardPins(backend: GpioBackend, allowed: readonly number[]): GpioBackend {
  const pins = new Set(allowed);
  const check = (pin: number): void => {
    if (!Number.isInteger(pin) || !pins.has(pin)) {
      throw new GpioError("pin_not_allowed", `pin ${pin} is not in the allowed set (${[...pins].join(", ")})`);
    }
  };
  return {
    kind: backend.kind,
    enabled: backend.enabled,
    async write(pin, value) {
      check(pin);
      if (value !== 0 && value !== 1) throw new GpioError("gpio_failed", `value must be 0 or 1, got ${String(value)}`);
      await backend.write(pin, value);
    },
    async read(pin) {
      check(pin);
      return backend.read(pin);
    },
    close: () => backend.close(),
  };
}

/**
 * `ENABLE_GPIO_INTEGRATION=false` (seed 004's default): no file is written and no program is run. Writes resolve
 * so the LED driver and shutdown run unchanged; a read rejects, since there is no value to report honestly.
 */
export function createDisabledGpio(): GpioBackend {
  return {
    kind: "disabled",
    enabled: false,
    write: async () => {},
    read: async (pin) => {
      throw new GpioError("gpio_disabled", `GPIO integration is disabled; pin ${pin} was not read`);
    },
    close: async () => {},
  };
}
