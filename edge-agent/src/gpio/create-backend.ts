/**
 * Chooses the GPIO backend from the configuration and puts the allowed-pin guard in front of it. With
 * `ENABLE_GPIO_INTEGRATION=false` nothing else is consulted: no version probe, no file, no program.
 */
import type { EdgeAgentConfig } from "../config.js";
import type { ProcessRunner } from "../process-runner.js";
import { createDisabledGpio, guardPins } from "./backend.js";
import type { GpioBackend } from "./backend.js";
import { createGpiodCliGpio, detectGpiodDialect } from "./gpiod-cli.js";
import { createMemoryGpio } from "./memory.js";
import { createSysfsLedGpio } from "./sysfs-led.js";

export type GpioConfig = Pick<
  EdgeAgentConfig,
  | "ENABLE_GPIO_INTEGRATION"
  | "GPIO_BACKEND"
  | "GPIO_CHIP"
  | "GPIO_ALLOWED_PINS"
  | "GPIO_LEDS_ROOT"
  | "STATUS_LED_PIN"
  | "ERROR_LED_PIN"
  | "STATUS_LED_LABEL"
  | "ERROR_LED_LABEL"
>;

export async function createGpioBackend(config: GpioConfig, runner: ProcessRunner): Promise<GpioBackend> {
  if (!config.ENABLE_GPIO_INTEGRATION) return createDisabledGpio();
  return guardPins(await createInner(config, runner), config.GPIO_ALLOWED_PINS);
}

async function createInner(config: GpioConfig, runner: ProcessRunner): Promise<GpioBackend> {
  switch (config.GPIO_BACKEND) {
    case "memory":
      return createMemoryGpio();
    case "sysfs-led":
      return createSysfsLedGpio({
        root: config.GPIO_LEDS_ROOT,
        labels: new Map([
          [config.STATUS_LED_PIN, config.STATUS_LED_LABEL],
          [config.ERROR_LED_PIN, config.ERROR_LED_LABEL],
        ]),
      });
    case "gpiod":
      return createGpiodCliGpio({ runner, chip: config.GPIO_CHIP, dialect: await detectGpiodDialect(runner) });
  }
}
