import { describe, it } from "vitest";
import {
  createGpiodCliGpio,
  detectGpiodDialect,
  parseGpiogetOutput,
  parseGpiosetVersion,
} from "../../edge-agent/src/gpio/gpiod-cli";
import { createFakeRunner } from "./fake-runner";

const V1_VERSION = "gpioset (libgpiod) v1.6.3\nCopyright (C) 2017-2018 Bartosz Golaszewski\nLicense: LGPLv2.1\n";
const V2_VERSION = "gpioset (libgpiod) v2.1.3\nCopyright (C) 2017-2023 Bartosz Golaszewski\n";

describe("edge-agent gpiod dialect detection", () => {
  it("should tell v1 from v2 by gpioset --version", async ({ expect }) => {
    expect(parseGpiosetVersion(V1_VERSION)).toBe("v1");
    expect(parseGpiosetVersion(V2_VERSION)).toBe("v2");
    const runner = createFakeRunner({ "gpioset --version": { stdout: V2_VERSION, stderr: "" } });
    expect(await detectGpiodDialect(runner)).toBe("v2");
    expect(runner.calls).toEqual([["execFile", "gpioset", "--version"]]);
  });

  it("should refuse an unknown version and name a missing gpioset", async ({ expect }) => {
    expect(() => parseGpiosetVersion("gpioset 3.0")).toThrow(/unrecognised gpioset version/);
    await expect(detectGpiodDialect(createFakeRunner())).rejects.toThrow(/gpiod package installed/);
  });

  it("should read both gpioget output forms", ({ expect }) => {
    expect([parseGpiogetOutput("1\n"), parseGpiogetOutput("0\n")]).toEqual([1, 0]);
    expect([parseGpiogetOutput('"18"=active\n'), parseGpiogetOutput('"18"=inactive\n')]).toEqual([1, 0]);
    expect(() => parseGpiogetOutput("maybe")).toThrow(/unrecognised gpioget output/);
  });
});

describe("edge-agent gpiod v1 backend", () => {
  it("should run gpioset chip pin=value once per write, as an argument array", async ({ expect }) => {
    const runner = createFakeRunner({ gpioset: { stdout: "", stderr: "" } });
    const gpio = createGpiodCliGpio({ runner, dialect: "v1", chip: "gpiochip0" });
    await gpio.write(18, 1);
    await gpio.write(23, 0);
    expect(runner.calls).toEqual([
      ["execFile", "gpioset", "gpiochip0", "18=1"],
      ["execFile", "gpioset", "gpiochip0", "23=0"],
    ]);
    expect(gpio.kind).toBe("gpiod-v1");
  });

  it("should read a pin it never drove with gpioget, and a driven pin from what it wrote", async ({ expect }) => {
    const runner = createFakeRunner({
      gpioset: { stdout: "", stderr: "" },
      "gpioget gpiochip0 24": { stdout: "1\n", stderr: "" },
    });
    const gpio = createGpiodCliGpio({ runner, dialect: "v1", chip: "gpiochip0" });
    expect(await gpio.read(24)).toBe(1);
    await gpio.write(18, 1);
    expect(await gpio.read(18)).toBe(1);
    expect(runner.calls).toEqual([
      ["execFile", "gpioget", "gpiochip0", "24"],
      ["execFile", "gpioset", "gpiochip0", "18=1"],
    ]);
  });

  it("should report a failed gpioset with its arguments", async ({ expect }) => {
    const runner = createFakeRunner({ gpioset: new Error("gpioset: error setting the GPIO line values") });
    const gpio = createGpiodCliGpio({ runner, dialect: "v1", chip: "gpiochip0" });
    await expect(gpio.write(18, 1)).rejects.toMatchObject({
      code: "gpio_failed",
      message: expect.stringContaining("gpioset gpiochip0 18=1 failed") as unknown,
    });
  });
});

describe("edge-agent gpiod v2 backend", () => {
  it("should hold each pin with one gpioset -c process and kill it before changing the value", async ({ expect }) => {
    const runner = createFakeRunner();
    const gpio = createGpiodCliGpio({ runner, dialect: "v2", chip: "gpiochip0" });
    await gpio.write(18, 1);
    await gpio.write(23, 1);
    await gpio.write(18, 0);
    expect(runner.calls).toEqual([
      ["spawn", "gpioset", "-c", "gpiochip0", "18=1"],
      ["spawn", "gpioset", "-c", "gpiochip0", "23=1"],
      ["spawn", "gpioset", "-c", "gpiochip0", "18=0"],
    ]);
    expect(runner.held.map((p) => p.killed)).toEqual([true, false, false]);
    expect(await gpio.read(18)).toBe(0);
    expect(gpio.kind).toBe("gpiod-v2");
  });

  it("should release every held line on close", async ({ expect }) => {
    const runner = createFakeRunner();
    const gpio = createGpiodCliGpio({ runner, dialect: "v2", chip: "gpiochip4" });
    await gpio.write(18, 1);
    await gpio.write(23, 0);
    await gpio.close();
    expect(runner.held.map((p) => [p.args.join(" "), p.killed])).toEqual([
      ["gpioset -c gpiochip4 18=1", true],
      ["gpioset -c gpiochip4 23=0", true],
    ]);
    await expect(gpio.write(18, 1)).rejects.toThrow(/closed/);
  });

  it("should read an unheld pin with gpioget --as-is, not from a holder that died", async ({ expect }) => {
    const runner = createFakeRunner({
      "gpioget --numeric --as-is -c gpiochip0 18": { stdout: "0\n", stderr: "" },
    });
    const gpio = createGpiodCliGpio({ runner, dialect: "v2", chip: "gpiochip0" });
    await gpio.write(18, 1);
    const [holder] = runner.held;
    holder?.exit(1);
    await holder?.exited;
    // Let the backend's exit handler run before the next read.
    await Promise.resolve();
    expect(await gpio.read(18)).toBe(0);
    expect(runner.calls.at(-1)).toEqual(["execFile", "gpioget", "--numeric", "--as-is", "-c", "gpiochip0", "18"]);
  });
});
