/**
 * GPIO through libgpiod's command-line tools, in both dialects, detected once from `gpioset --version`:
 * - v1 (Bookworm, 1.6.x): `gpioset gpiochip0 18=1` sets the line and exits.
 * - v2 (Trixie, 2.x): `gpioset -c gpiochip0 18=1` holds the line only while it runs, so each pin gets one
 *   long-running holder process; changing the value kills it (releasing the line) and starts a new one.
 * Programs run through the injectable ProcessRunner with argument arrays, never a shell.
 */
import type { ProcessRunner, HeldProcess } from "../process-runner.js";
import { GpioError } from "./backend.js";
import type { GpioBackend, PinValue } from "./backend.js";

export type GpiodDialect = "v1" | "v2";

/** The dialect from `gpioset --version`'s first line, e.g. "gpioset (libgpiod) v1.6.3". */
export function parseGpiosetVersion(output: string): GpiodDialect {
  const match = /\(libgpiod\)\s+v?(\d+)\.\d+/.exec(output);
  if (match?.[1] === "1") return "v1";
  if (match?.[1] === "2") return "v2";
  throw new GpioError("gpio_failed", `unrecognised gpioset version: ${JSON.stringify(output.split("\n")[0])}`);
}

/** Runs `gpioset --version` once; a missing gpioset (package `gpiod` not installed) is named as such. */
export async function detectGpiodDialect(runner: ProcessRunner): Promise<GpiodDialect> {
  let stdout: string;
  try {
    ({ stdout } = await runner.execFile("gpioset", ["--version"]));
  } catch (err) {
    throw new GpioError("gpio_failed", `gpioset --version failed (is the gpiod package installed?): ${text(err)}`, {
      cause: err,
    });
  }
  return parseGpiosetVersion(stdout);
}

export interface GpiodCliOptions {
  runner: ProcessRunner;
  dialect: GpiodDialect;
  /** e.g. gpiochip0 (Pi 4, and Pi 5 since kernel 6.6.45). */
  chip: string;
}

/** Parses gpioget's answer: "1" (v1, v2 --numeric) or `"18"=active` (v2 default). */
export function parseGpiogetOutput(output: string): PinValue {
  const value = output.trim();
  if (value === "1" || value.endsWith("=active")) return 1;
  if (value === "0" || value.endsWith("=inactive")) return 0;
  throw new GpioError("gpio_failed", `unrecognised gpioget output: ${JSON.stringify(value)}`);
}

export function createGpiodCliGpio(options: GpiodCliOptions): GpioBackend {
  const { runner, dialect, chip } = options;
  // Last value written per pin. Reading an output pin back through gpioget v1 would re-request it as an
  // input (v1 has no --as-is) and switch the LED off, so a pin this agent drives reports what it was set to.
  const written = new Map<number, PinValue>();
  const holders = new Map<number, HeldProcess>();
  // One operation per pin at a time, so a kill and its respawn never interleave with the next write.
  const queues = new Map<number, Promise<unknown>>();
  let closed = false;

  const serial = <T>(pin: number, task: () => Promise<T>): Promise<T> => {
    const previous = queues.get(pin) ?? Promise.resolve();
    const next = previous.then(task, task);
    queues.set(
      pin,
      next.catch(() => {}),
    );
    return next;
  };

  const release = async (pin: number): Promise<void> => {
    const holder = holders.get(pin);
    if (holder === undefined) return;
    holders.delete(pin);
    holder.kill();
    await holder.exited;
  };

  const writeV2 = async (pin: number, value: PinValue): Promise<void> => {
    await release(pin);
    const holder = runner.spawn("gpioset", ["-c", chip, `${pin}=${value}`]);
    try {
      await holder.started;
    } catch (err) {
      throw new GpioError("gpio_failed", `gpioset -c ${chip} ${pin}=${value} did not start: ${text(err)}`, {
        cause: err,
      });
    }
    holders.set(pin, holder);
    // A holder that dies on its own (line busy, chip gone) no longer holds the value: forget it.
    void holder.exited.then(() => {
      if (holders.get(pin) === holder) {
        holders.delete(pin);
        written.delete(pin);
      }
    });
  };

  const writeV1 = async (pin: number, value: PinValue): Promise<void> => {
    try {
      await runner.execFile("gpioset", [chip, `${pin}=${value}`]);
    } catch (err) {
      throw new GpioError("gpio_failed", `gpioset ${chip} ${pin}=${value} failed: ${text(err)}`, { cause: err });
    }
  };

  return {
    kind: dialect === "v1" ? "gpiod-v1" : "gpiod-v2",
    enabled: true,
    write(pin, value) {
      return serial(pin, async () => {
        if (closed) throw new GpioError("gpio_failed", "the gpiod backend is closed");
        if (dialect === "v1") await writeV1(pin, value);
        else await writeV2(pin, value);
        written.set(pin, value);
      });
    },
    read(pin) {
      return serial(pin, async () => {
        const known = written.get(pin);
        if (known !== undefined) return known;
        const args = dialect === "v1" ? [chip, String(pin)] : ["--numeric", "--as-is", "-c", chip, String(pin)];
        try {
          const { stdout } = await runner.execFile("gpioget", args);
          return parseGpiogetOutput(stdout);
        } catch (err) {
          if (err instanceof GpioError) throw err;
          throw new GpioError("gpio_failed", `gpioget ${args.join(" ")} failed: ${text(err)}`, { cause: err });
        }
      });
    },
    async close() {
      closed = true;
      await Promise.all([...holders.keys()].map((pin) => serial(pin, () => release(pin))));
    },
  };
}

function text(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
