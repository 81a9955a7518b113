import { describe, it } from "vitest";
import type { IntervalTimer, LedEvent } from "../../edge-agent/src/gpio/leds";
import {
  LedController,
  LedDriver,
  initialSituation,
  ledOutputs,
  reduceLedSituation,
} from "../../edge-agent/src/gpio/leds";
import { createMemoryGpio } from "../../edge-agent/src/gpio/memory";

const temp = (celsius: number): LedEvent => ({ type: "temperature", celsius, alertC: 80, clearC: 75 });

/** A timer the test ticks by hand. */
function manualTimer(): IntervalTimer & { tick(): void; active: number; periods: number[] } {
  const callbacks = new Map<number, () => void>();
  let next = 1;
  const timer = {
    periods: [] as number[],
    get active() {
      return callbacks.size;
    },
    setInterval(callback: () => void, ms: number) {
      timer.periods.push(ms);
      callbacks.set(next, callback);
      return next++;
    },
    clearInterval(handle: unknown) {
      callbacks.delete(handle as number);
    },
    tick() {
      for (const callback of callbacks.values()) callback();
    },
  };
  return timer;
}

describe("edge-agent LED state machine", () => {
  it("should map the connection to the status LED", ({ expect }) => {
    const statusFor = (state: "starting" | "connected" | "reconnecting" | "stopped") =>
      ledOutputs(reduceLedSituation(initialSituation, { type: "connection", state })).status;
    expect([statusFor("starting"), statusFor("connected"), statusFor("reconnecting"), statusFor("stopped")]).toEqual([
      "off",
      "on",
      "blink",
      "off",
    ]);
  });

  it("should light the error LED at 80 °C and clear it only under 75 °C", ({ expect }) => {
    const errors: string[] = [];
    let situation = initialSituation;
    for (const celsius of [70, 79.9, 80, 77, 75, 74.9, 78, 85]) {
      situation = reduceLedSituation(situation, temp(celsius));
      errors.push(ledOutputs(situation).error);
    }
    expect(errors).toEqual(["off", "off", "on", "on", "on", "off", "off", "on"]);
  });

  it("should light the error LED while Ollama is unreachable, not before the first probe", ({ expect }) => {
    expect(ledOutputs(initialSituation).error).toBe("off");
    const down = reduceLedSituation(initialSituation, { type: "ollama", reachable: false });
    expect(ledOutputs(down).error).toBe("on");
    const hot = reduceLedSituation(reduceLedSituation(down, temp(90)), { type: "ollama", reachable: true });
    expect(ledOutputs(hot).error).toBe("on");
    expect(ledOutputs(reduceLedSituation(hot, temp(60))).error).toBe("off");
  });

  it("should keep the error LED on while the hub's over-temperature alert is active, whatever the local reading", ({
    expect,
  }) => {
    const alert = (active: boolean) => ({ type: "alert", alert: "over_temperature", active }) as const;
    const errors: string[] = [];
    let situation = initialSituation;
    for (const event of [alert(true), temp(60), alert(false), temp(85), alert(true), alert(false), temp(70)]) {
      situation = reduceLedSituation(situation, event);
      errors.push(ledOutputs(situation).error);
    }
    expect(errors).toEqual(["on", "on", "off", "on", "on", "on", "off"]);
    expect(situation.hubOverTemperature).toBe(false);
  });
});

describe("edge-agent LedDriver", () => {
  it("should write only changes and blink on the timer while reconnecting", async ({ expect }) => {
    const gpio = createMemoryGpio();
    const timer = manualTimer();
    const driver = new LedDriver({ gpio, statusPin: 18, errorPin: 23, timer, blinkMs: 250 });

    await driver.apply({ status: "on", error: "off" });
    await driver.apply({ status: "on", error: "off" });
    expect(gpio.history).toEqual([
      { pin: 18, value: 1 },
      { pin: 23, value: 0 },
    ]);

    await driver.apply({ status: "blink", error: "on" });
    expect(timer.periods).toEqual([250]);
    timer.tick();
    timer.tick();
    timer.tick();
    await driver.apply({ status: "blink", error: "on" });
    expect(gpio.history.slice(2)).toEqual([
      { pin: 23, value: 1 },
      { pin: 18, value: 0 },
      { pin: 18, value: 1 },
      { pin: 18, value: 0 },
    ]);

    await driver.apply({ status: "on", error: "on" });
    expect(timer.active).toBe(0);
    expect(gpio.value(18)).toBe(1);
  });

  it("should stop blinking and switch both LEDs off on close", async ({ expect }) => {
    const gpio = createMemoryGpio();
    const timer = manualTimer();
    const driver = new LedDriver({ gpio, statusPin: 18, errorPin: 23, timer });
    await driver.apply({ status: "blink", error: "on" });
    timer.tick();
    await driver.close();
    expect(timer.active).toBe(0);
    expect([gpio.value(18), gpio.value(23)]).toEqual([0, 0]);
  });

  it("should report a failed write and retry it on the next apply", async ({ expect }) => {
    const memory = createMemoryGpio();
    let failures = 1;
    const errors: unknown[] = [];
    const driver = new LedDriver({
      gpio: {
        ...memory,
        write: async (pin, value) => {
          if (failures-- > 0) throw new Error("EBUSY");
          await memory.write(pin, value);
        },
      },
      statusPin: 18,
      errorPin: 23,
      timer: manualTimer(),
      onError: (err) => errors.push(err),
    });
    await driver.apply({ status: "on", error: "off" });
    expect(errors).toHaveLength(1);
    expect(memory.history).toEqual([{ pin: 23, value: 0 }]);
    await driver.apply({ status: "on", error: "off" });
    expect(memory.value(18)).toBe(1);
  });
});

describe("edge-agent LedController", () => {
  it("should drive the pins through a connect, a hot spell and a reconnect", async ({ expect }) => {
    const gpio = createMemoryGpio();
    const timer = manualTimer();
    const leds = new LedController(new LedDriver({ gpio, statusPin: 18, errorPin: 23, timer }));
    await leds.dispatch({ type: "connection", state: "connected" });
    await leds.dispatch({ type: "ollama", reachable: true });
    await leds.dispatch(temp(81));
    await leds.dispatch(temp(76));
    await leds.dispatch(temp(74));
    await leds.dispatch({ type: "connection", state: "reconnecting" });
    timer.tick();
    await leds.dispatch({ type: "connection", state: "connected" });
    expect(gpio.history).toEqual([
      { pin: 18, value: 1 },
      { pin: 23, value: 0 },
      { pin: 23, value: 1 },
      { pin: 23, value: 0 },
      { pin: 18, value: 0 },
      { pin: 18, value: 1 },
    ]);
    expect(leds.situation).toEqual({
      connection: "connected",
      overTemperature: false,
      ollamaReachable: true,
      hubOverTemperature: false,
    });
    await leds.close();
    expect([gpio.value(18), gpio.value(23)]).toEqual([0, 0]);
  });
});
