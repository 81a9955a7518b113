/**
 * The two LEDs' behaviour. Pure part: the agent's situation (connection, temperature with hysteresis, Ollama
 * reachability, the hub's alerts) reduced event by event, and the LED outputs it implies — status on while
 * connected, blinking while reconnecting, off otherwise; error on while over temperature (by the local reading or
 * the hub's `alert.set`) or while Ollama is unreachable. Driver
 * part: applies outputs to a GpioBackend, blinking on an injectable timer and writing only what changed.
 */
import type { GpioBackend, PinValue } from "./backend.js";

export type ConnectionState = "starting" | "connected" | "reconnecting" | "stopped";

export interface LedSituation {
  connection: ConnectionState;
  overTemperature: boolean;
  /** null until the first probe: an unknown Ollama does not light the error LED. */
  ollamaReachable: boolean | null;
  /** The hub's over-temperature alert (`alert.set`), judged on the hub's own thresholds. */
  hubOverTemperature: boolean;
}

export type LedEvent =
  | { type: "connection"; state: ConnectionState }
  | { type: "temperature"; celsius: number; alertC: number; clearC: number }
  | { type: "ollama"; reachable: boolean }
  | { type: "alert"; alert: "over_temperature"; active: boolean };

export type StatusLed = "on" | "off" | "blink";

export interface LedOutputs {
  status: StatusLed;
  error: "on" | "off";
}

export const initialSituation: LedSituation = {
  connection: "starting",
  overTemperature: false,
  ollamaReachable: null,
  hubOverTemperature: false,
};

/** One transition. Temperature uses hysteresis: on at ≥ alertC, off only at < clearC, unchanged in between. */
export function reduceLedSituation(situation: LedSituation, event: LedEvent): LedSituation {
  switch (event.type) {
    case "connection":
      return { ...situation, connection: event.state };
    case "ollama":
      return { ...situation, ollamaReachable: event.reachable };
    case "alert":
      return { ...situation, hubOverTemperature: event.active };
    case "temperature": {
      if (event.celsius >= event.alertC) return { ...situation, overTemperature: true };
      if (event.celsius < event.clearC) return { ...situation, overTemperature: false };
      return situation;
    }
  }
}

export function ledOutputs(situation: LedSituation): LedOutputs {
  const status: StatusLed =
    situation.connection === "connected" ? "on" : situation.connection === "reconnecting" ? "blink" : "off";
  const error =
    situation.overTemperature || situation.hubOverTemperature || situation.ollamaReachable === false ? "on" : "off";
  return { status, error };
}

/** setInterval/clearInterval, injectable so tests tick the blink by hand. */
export interface IntervalTimer {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const systemTimer: IntervalTimer = {
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
};

export interface LedDriverOptions {
  gpio: GpioBackend;
  statusPin: number;
  errorPin: number;
  timer?: IntervalTimer;
  /** Half a blink period: the status LED toggles this often while reconnecting. */
  blinkMs?: number;
  /** Where a failed write is reported; the LEDs are never worth crashing the agent for. */
  onError?: (err: unknown) => void;
}

/** Applies LedOutputs to the pins. Writes are queued in order, and only changes are written. */
export class LedDriver {
  readonly #options: Required<Omit<LedDriverOptions, "onError">> & Pick<LedDriverOptions, "onError">;
  #pins = new Map<number, PinValue>();
  #blink: unknown = undefined;
  #queue: Promise<void> = Promise.resolve();
  #outputs: LedOutputs | undefined;

  constructor(options: LedDriverOptions) {
    this.#options = { timer: systemTimer, blinkMs: 500, ...options };
  }

  /** Sets both LEDs; resolves once the writes this call caused are done. */
  apply(outputs: LedOutputs): Promise<void> {
    const previous = this.#outputs;
    this.#outputs = outputs;
    if (outputs.status === "blink") {
      // Only the start of a blink writes here; the timer owns the pin until the status changes.
      if (previous?.status !== "blink") {
        this.#set(this.#options.statusPin, 1);
        this.#blink = this.#options.timer.setInterval(() => {
          const current = this.#pins.get(this.#options.statusPin) ?? 0;
          this.#set(this.#options.statusPin, current === 1 ? 0 : 1);
        }, this.#options.blinkMs);
      }
    } else {
      this.#stopBlink();
      this.#set(this.#options.statusPin, outputs.status === "on" ? 1 : 0);
    }
    this.#set(this.#options.errorPin, outputs.error === "on" ? 1 : 0);
    return this.#queue;
  }

  /** Both LEDs off and the blink stopped: the last thing on a clean shutdown. */
  async close(): Promise<void> {
    this.#stopBlink();
    this.#outputs = { status: "off", error: "off" };
    this.#set(this.#options.statusPin, 0);
    this.#set(this.#options.errorPin, 0);
    await this.#queue;
  }

  #stopBlink(): void {
    if (this.#blink === undefined) return;
    this.#options.timer.clearInterval(this.#blink);
    this.#blink = undefined;
  }

  #set(pin: number, value: PinValue): void {
    if (this.#pins.get(pin) === value) return;
    this.#pins.set(pin, value);
    this.#queue = this.#queue
      .then(() => this.#options.gpio.write(pin, value))
      .catch((err: unknown) => {
        // Forget the value so the next apply() retries the write instead of trusting a state never reached.
        if (this.#pins.get(pin) === value) this.#pins.delete(pin);
        this.#options.onError?.(err);
      });
  }
}

/** The reducer and the driver together: feed it events, it keeps the situation and the LEDs in step. */
export class LedController {
  #situation: LedSituation = initialSituation;
  readonly #driver: LedDriver;

  constructor(driver: LedDriver) {
    this.#driver = driver;
  }

  get situation(): LedSituation {
    return this.#situation;
  }

  /** Applies one event; resolves once the LED writes it caused are done. */
  dispatch(event: LedEvent): Promise<void> {
    this.#situation = reduceLedSituation(this.#situation, event);
    return this.#driver.apply(ledOutputs(this.#situation));
  }

  close(): Promise<void> {
    return this.#driver.close();
  }
}
