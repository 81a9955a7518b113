/**
 * Reads the Pi's health from the kernel's text files — CPU temperature, load, memory, uptime — plus disk space
 * (statfs) and the firmware's throttled flags (`vcgencmd get_throttled`, when the tool exists). Every path hangs
 * off an injectable root and the runner is injectable, so tests read a fixture tree. A reading that is not
 * available (no thermal zone in a container, no vcgencmd off a Pi) is null rather than a failed snapshot.
 */
import { readFile, statfs } from "node:fs/promises";
import { join } from "node:path";
import type { ProcessRunner } from "../process-runner.js";

export interface ThrottledFlags {
  /** The raw bit field, e.g. 0x50005. */
  raw: number;
  underVoltage: boolean;
  armFrequencyCapped: boolean;
  throttled: boolean;
  softTemperatureLimit: boolean;
  underVoltageOccurred: boolean;
  armFrequencyCappedOccurred: boolean;
  throttledOccurred: boolean;
  softTemperatureLimitOccurred: boolean;
}

export interface SystemTelemetry {
  cpuTemperatureC: number | null;
  load: { one: number; five: number; fifteen: number } | null;
  cpuCount: number | null;
  memory: { totalBytes: number; availableBytes: number } | null;
  disk: { totalBytes: number; freeBytes: number } | null;
  uptimeSeconds: number | null;
  throttled: ThrottledFlags | null;
}

export interface StatfsResult {
  bsize: number;
  blocks: number;
  bavail: number;
}

export interface SystemReaderOptions {
  /** "/" on a Pi; the fixture tree in tests. /sys and /proc are read beneath it. */
  root: string;
  /** The filesystem whose space is reported; "/" by default. */
  diskPath?: string;
  runner: ProcessRunner;
  statfs?: (path: string) => Promise<StatfsResult>;
}

/** `/sys/class/thermal/thermal_zone0/temp` holds millidegrees: "54200" → 54.2. */
export function parseThermalZone(text: string): number {
  const milli = strictInteger(text.trim(), "thermal_zone0/temp");
  return Math.round(milli / 100) / 10;
}

/** `/proc/loadavg`: "0.52 0.58 0.59 1/389 12345". */
export function parseLoadavg(text: string): { one: number; five: number; fifteen: number } {
  const [one, five, fifteen] = text.trim().split(/\s+/).slice(0, 3).map(Number);
  if (one === undefined || five === undefined || fifteen === undefined || [one, five, fifteen].some(Number.isNaN)) {
    throw new Error(`unrecognised /proc/loadavg: ${JSON.stringify(text)}`);
  }
  return { one, five, fifteen };
}

/** `/proc/stat`'s per-core lines ("cpu0 …", "cpu1 …"): the number of cores. */
export function parseCpuCount(text: string): number {
  const cores = text.split("\n").filter((line) => /^cpu\d+\s/.test(line)).length;
  if (cores === 0) throw new Error("/proc/stat has no cpuN lines");
  return cores;
}

/** `/proc/meminfo`'s MemTotal and MemAvailable (kB in the file, bytes out). */
export function parseMeminfo(text: string): { totalBytes: number; availableBytes: number } {
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(text);
    if (match?.[1] === undefined) throw new Error(`/proc/meminfo has no ${name}`);
    return Number(match[1]) * 1024;
  };
  return { totalBytes: field("MemTotal"), availableBytes: field("MemAvailable") };
}

/** `/proc/uptime`: "12345.67 45678.90" → 12345.67 (seconds since boot). */
export function parseUptime(text: string): number {
  const seconds = Number(text.trim().split(/\s+/)[0]);
  if (!Number.isFinite(seconds)) throw new Error(`unrecognised /proc/uptime: ${JSON.stringify(text)}`);
  return seconds;
}

/** `vcgencmd get_throttled`: "throttled=0x50005". Bits 0–3 are now, 16–19 "has occurred since boot". */
export function parseThrottled(text: string): ThrottledFlags {
  const match = /^throttled=0x([0-9a-fA-F]+)$/.exec(text.trim());
  if (match?.[1] === undefined) throw new Error(`unrecognised vcgencmd output: ${JSON.stringify(text)}`);
  const raw = Number.parseInt(match[1], 16);
  const bit = (n: number): boolean => (raw & (1 << n)) !== 0;
  return {
    raw,
    underVoltage: bit(0),
    armFrequencyCapped: bit(1),
    throttled: bit(2),
    softTemperatureLimit: bit(3),
    underVoltageOccurred: bit(16),
    armFrequencyCappedOccurred: bit(17),
    throttledOccurred: bit(18),
    softTemperatureLimitOccurred: bit(19),
  };
}

/** One snapshot; readers run in parallel and each that fails is null (reported through onError). */
export async function readSystemTelemetry(
  options: SystemReaderOptions,
  onError: (what: string, err: unknown) => void = () => {},
): Promise<SystemTelemetry> {
  const file = (relative: string) => readFile(join(options.root, relative), "utf8");
  const attempt = async <T>(what: string, read: () => Promise<T>): Promise<T | null> => {
    try {
      return await read();
    } catch (err) {
      onError(what, err);
      return null;
    }
  };
  const fsStat = options.statfs ?? statfs;
  const [cpuTemperatureC, load, cpuCount, memory, disk, uptimeSeconds, throttled] = await Promise.all([
    attempt("cpu temperature", async () => parseThermalZone(await file("sys/class/thermal/thermal_zone0/temp"))),
    attempt("load", async () => parseLoadavg(await file("proc/loadavg"))),
    attempt("cpu count", async () => parseCpuCount(await file("proc/stat"))),
    attempt("memory", async () => parseMeminfo(await file("proc/meminfo"))),
    attempt("disk", async () => {
      const stats = await fsStat(options.diskPath ?? "/");
      return { totalBytes: stats.bsize * stats.blocks, freeBytes: stats.bsize * stats.bavail };
    }),
    attempt("uptime", async () => parseUptime(await file("proc/uptime"))),
    attempt("throttled", async () => {
      try {
        return parseThrottled((await options.runner.execFile("vcgencmd", ["get_throttled"])).stdout);
      } catch (err) {
        // Off a Pi there is no vcgencmd: that is "no flags", not a failure worth reporting.
        if (isMissingProgram(err)) return null;
        throw err;
      }
    }),
  ]);
  return { cpuTemperatureC, load, cpuCount, memory, disk, uptimeSeconds, throttled };
}

function isMissingProgram(err: unknown): boolean {
  return typeof err === "object" && err !== null && "code" in err && err.code === "ENOENT";
}

function strictInteger(text: string, what: string): number {
  if (!/^-?\d+$/.test(text)) throw new Error(`unrecognised ${what}: ${JSON.stringify(text)}`);
  return Number(text);
}
