import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "vitest";
import type { EdgeAgentConfig } from "../../edge-agent/src/config";
import { loadConfig } from "../../edge-agent/src/config";
import { GpioError, guardPins } from "../../edge-agent/src/gpio/backend";
import { createGpioBackend } from "../../edge-agent/src/gpio/create-backend";
import { createMemoryGpio } from "../../edge-agent/src/gpio/memory";
import { createSysfsLedGpio } from "../../edge-agent/src/gpio/sysfs-led";
import { createFakeRunner } from "./fake-runner";

let root = "";

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "edge-leds-"));
  for (const label of ["status", "error"]) {
    await mkdir(join(root, label));
    await writeFile(join(root, label, "brightness"), "0\n");
  }
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function config(overrides: Record<string, string>): EdgeAgentConfig {
  return loadConfig({ EDGE_DEVICE_ID: "pi-kitchen", EDGE_DEVICE_TOKEN: "t", GPIO_LEDS_ROOT: root, ...overrides });
}

const brightness = (label: string) => readFile(join(root, label, "brightness"), "utf8");

describe("edge-agent sysfs LED backend", () => {
  it("should write the brightness file of the pin's label and read it back", async ({ expect }) => {
    const gpio = createSysfsLedGpio({
      root,
      labels: new Map([
        [18, "status"],
        [23, "error"],
      ]),
    });
    await gpio.write(18, 1);
    expect([await brightness("status"), await brightness("error")]).toEqual(["1\n", "0\n"]);
    expect(await gpio.read(18)).toBe(1);
    await gpio.write(18, 0);
    await gpio.write(23, 1);
    expect([await brightness("status"), await brightness("error")]).toEqual(["0\n", "1\n"]);
  });

  it("should refuse a pin without a label and not create a missing LED", async ({ expect }) => {
    const gpio = createSysfsLedGpio({ root, labels: new Map([[18, "missing"]]) });
    await expect(gpio.write(24, 1)).rejects.toThrow(/pin 24 has no kernel LED label/);
    await expect(gpio.write(18, 1)).rejects.toMatchObject({ code: "gpio_failed" });
    expect((await readdir(root)).sort()).toEqual(["error", "status"]);
  });
});

describe("edge-agent createGpioBackend", () => {
  it("should touch nothing when GPIO integration is disabled", async ({ expect }) => {
    const runner = createFakeRunner({ gpioset: { stdout: "gpioset (libgpiod) v1.6.3", stderr: "" } });
    const gpio = await createGpioBackend(config({ GPIO_BACKEND: "sysfs-led" }), runner);
    expect([gpio.kind, gpio.enabled]).toEqual(["disabled", false]);
    await gpio.write(18, 1);
    await gpio.write(23, 1);
    await expect(gpio.read(18)).rejects.toMatchObject({ code: "gpio_disabled" });
    await gpio.close();
    expect(runner.calls).toEqual([]);
    expect([await brightness("status"), await brightness("error")]).toEqual(["0\n", "0\n"]);
  });

  it("should drive the sysfs backend through the pin guard when enabled", async ({ expect }) => {
    const gpio = await createGpioBackend(
      config({ ENABLE_GPIO_INTEGRATION: "true", GPIO_BACKEND: "sysfs-led" }),
      createFakeRunner(),
    );
    await gpio.write(23, 1);
    expect(await brightness("error")).toBe("1\n");
    await expect(gpio.write(4, 1)).rejects.toMatchObject({ code: "pin_not_allowed" });
  });

  it("should detect the gpiod dialect and refuse pins outside the allowed set before running anything", async ({
    expect,
  }) => {
    const runner = createFakeRunner({
      "gpioset --version": { stdout: "gpioset (libgpiod) v1.6.3\n", stderr: "" },
      gpioset: { stdout: "", stderr: "" },
    });
    const gpio = await createGpioBackend(
      config({ ENABLE_GPIO_INTEGRATION: "1", GPIO_BACKEND: "gpiod", GPIO_ALLOWED_PINS: "18,23,24" }),
      runner,
    );
    await gpio.write(24, 1);
    await expect(gpio.write(17, 1)).rejects.toThrow("pin 17 is not in the allowed set (18, 23, 24)");
    await expect(gpio.read(2)).rejects.toBeInstanceOf(GpioError);
    expect(runner.calls).toEqual([
      ["execFile", "gpioset", "--version"],
      ["execFile", "gpioset", "gpiochip0", "24=1"],
    ]);
  });
});

describe("edge-agent guardPins", () => {
  it("should pass allowed pins through and refuse others and non-integers", async ({ expect }) => {
    const memory = createMemoryGpio();
    const gpio = guardPins(memory, [18, 23]);
    await gpio.write(18, 1);
    await expect(gpio.write(19, 1)).rejects.toMatchObject({ code: "pin_not_allowed" });
    await expect(gpio.write(18.5, 1)).rejects.toMatchObject({ code: "pin_not_allowed" });
    expect(memory.history).toEqual([{ pin: 18, value: 1 }]);
    expect(await gpio.read(18)).toBe(1);
  });
});
