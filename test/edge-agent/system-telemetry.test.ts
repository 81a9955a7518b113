import { join } from "node:path";
import { describe, it } from "vitest";
import {
  parseCpuCount,
  parseLoadavg,
  parseMeminfo,
  parseThermalZone,
  parseThrottled,
  readSystemTelemetry,
} from "../../edge-agent/src/telemetry/system";
import { createFakeRunner } from "./fake-runner";

const fixture = join(import.meta.dirname, "fixtures", "pi4");
const statfs = async (path: string) => {
  if (path !== "/") throw new Error(`unexpected path ${path}`);
  return { bsize: 4096, blocks: 7_634_432, bavail: 5_242_880 };
};

describe("edge-agent readSystemTelemetry", () => {
  it("should read every value from the fixture tree and vcgencmd", async ({ expect }) => {
    const runner = createFakeRunner({ "vcgencmd get_throttled": { stdout: "throttled=0x50005\n", stderr: "" } });
    const telemetry = await readSystemTelemetry({ root: fixture, runner, statfs });
    expect(telemetry).toEqual({
      cpuTemperatureC: 54.2,
      load: { one: 0.52, five: 0.58, fifteen: 0.59 },
      cpuCount: 4,
      memory: { totalBytes: 3_884_448 * 1024, availableBytes: 2_879_532 * 1024 },
      disk: { totalBytes: 4096 * 7_634_432, freeBytes: 4096 * 5_242_880 },
      uptimeSeconds: 12_345.67,
      throttled: {
        raw: 0x50005,
        underVoltage: true,
        armFrequencyCapped: false,
        throttled: true,
        softTemperatureLimit: false,
        underVoltageOccurred: true,
        armFrequencyCappedOccurred: false,
        throttledOccurred: true,
        softTemperatureLimitOccurred: false,
      },
    });
    expect(runner.calls).toEqual([["execFile", "vcgencmd", "get_throttled"]]);
  });

  it("should give null for what is missing and report only real failures", async ({ expect }) => {
    const failures: string[] = [];
    const telemetry = await readSystemTelemetry(
      { root: join(fixture, "does-not-exist"), runner: createFakeRunner(), statfs },
      (what) => failures.push(what),
    );
    expect(telemetry).toEqual({
      cpuTemperatureC: null,
      load: null,
      cpuCount: null,
      memory: null,
      disk: { totalBytes: 4096 * 7_634_432, freeBytes: 4096 * 5_242_880 },
      uptimeSeconds: null,
      throttled: null,
    });
    // No vcgencmd (off a Pi) is not a failure; the missing files are.
    expect(failures.sort()).toEqual(["cpu count", "cpu temperature", "load", "memory", "uptime"]);
  });

  it("should read real disk space with fs.statfs by default", async ({ expect }) => {
    const telemetry = await readSystemTelemetry({ root: fixture, diskPath: fixture, runner: createFakeRunner() });
    expect(telemetry.disk?.totalBytes).toBeGreaterThan(0);
    expect(telemetry.disk?.freeBytes).toBeLessThanOrEqual(telemetry.disk?.totalBytes ?? 0);
  });
});

describe("edge-agent telemetry parsers", () => {
  it("should count the cores in /proc/stat and refuse a file without cpuN lines", ({ expect }) => {
    expect(parseCpuCount("cpu  1 2 3 4\ncpu0 1 2 3 4\ncpu1 1 2 3 4\nintr 5\n")).toBe(2);
    expect(() => parseCpuCount("cpu  1 2 3 4\nintr 5\n")).toThrow(/no cpuN lines/);
  });

  it("should reject malformed kernel text", ({ expect }) => {
    expect(parseThermalZone("-5000\n")).toBe(-5);
    expect(() => parseThermalZone("hot")).toThrow(/thermal_zone0/);
    expect(() => parseLoadavg("")).toThrow(/loadavg/);
    expect(() => parseMeminfo("MemTotal: 1 kB\n")).toThrow(/MemAvailable/);
    expect(() => parseThrottled("throttled=oops")).toThrow(/vcgencmd/);
    expect(parseThrottled("throttled=0x0").raw).toBe(0);
  });
});
