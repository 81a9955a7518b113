/**
 * GPIO through the kernel LED class: with `dtoverlay=gpio-led,gpio=18,label=status` in config.txt the kernel owns
 * the pin and the agent writes `/sys/class/leds/<label>/brightness`. No child processes, and unaffected by
 * gpiochip renumbering or the libgpiod v1→v2 change. Only pins mapped to a label can be driven.
 */
import { constants } from "node:fs";
import { access, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GpioError } from "./backend.js";
import type { GpioBackend, PinValue } from "./backend.js";

export interface SysfsLedOptions {
  /** `/sys/class/leds` on a Pi; a temp dir in tests. */
  root: string;
  /** BCM pin → LED label, e.g. 18 → "status". */
  labels: ReadonlyMap<number, string>;
}

export function createSysfsLedGpio(options: SysfsLedOptions): GpioBackend {
  const brightnessPath = (pin: number): string => {
    const label = options.labels.get(pin);
    if (label === undefined) {
      throw new GpioError("gpio_failed", `pin ${pin} has no kernel LED label (sysfs-led drives only LED pins)`);
    }
    return join(options.root, label, "brightness");
  };
  return {
    kind: "sysfs-led",
    enabled: true,
    async write(pin, value) {
      const path = brightnessPath(pin);
      try {
        // Never create the file: on a real /sys a missing file means a missing overlay, which must be reported.
        await access(path, constants.W_OK);
        await writeFile(path, `${value}\n`);
      } catch (err) {
        throw new GpioError("gpio_failed", `cannot write ${path}: ${message(err)}`, { cause: err });
      }
    },
    async read(pin) {
      const path = brightnessPath(pin);
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (err) {
        throw new GpioError("gpio_failed", `cannot read ${path}: ${message(err)}`, { cause: err });
      }
      const level = Number.parseInt(text.trim(), 10);
      if (Number.isNaN(level)) throw new GpioError("gpio_failed", `${path} holds ${JSON.stringify(text)}`);
      return (level > 0 ? 1 : 0) satisfies PinValue;
    },
    close: async () => {},
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
