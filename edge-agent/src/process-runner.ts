/**
 * The one place the agent starts other programs (gpioset, gpioget, vcgencmd). Always a file plus an argument
 * array — never a shell string — and behind an interface so tests check the exact arrays without running
 * anything.
 */
import { execFile, spawn } from "node:child_process";

export interface ExecResult {
  stdout: string;
  stderr: string;
}

/** A long-running child (libgpiod v2's gpioset holds a line only while it lives). */
export interface HeldProcess {
  /** Resolves once the program has started; rejects if it could not be (e.g. ENOENT). */
  readonly started: Promise<void>;
  /** Resolves with the exit code (null when killed by a signal) once the process has gone. */
  readonly exited: Promise<number | null>;
  kill(): void;
}

export interface ProcessRunner {
  /** Runs to completion; rejects on a non-zero exit or a missing program. */
  execFile(file: string, args: readonly string[]): Promise<ExecResult>;
  spawn(file: string, args: readonly string[]): HeldProcess;
}

/** How long a one-shot tool may take before it is killed: gpioget and vcgencmd answer in milliseconds. */
const EXEC_TIMEOUT_MS = 5000;

/** The real runner, on node:child_process. */
export function createNodeProcessRunner(): ProcessRunner {
  return {
    execFile(file, args) {
      return new Promise((resolve, reject) => {
        execFile(file, [...args], { timeout: EXEC_TIMEOUT_MS, encoding: "utf8" }, (err, stdout, stderr) => {
          if (err instanceof Error) reject(err);
          else if (err) reject(new Error(`${file} failed`));
          else resolve({ stdout, stderr });
        });
      });
    },
    spawn(file, args) {
      const child = spawn(file, [...args], { stdio: ["ignore", "ignore", "inherit"] });
      const started = new Promise<void>((resolve, reject) => {
        child.once("spawn", () => resolve());
        child.once("error", reject);
      });
      const exited = new Promise<number | null>((resolve) => {
        child.once("close", (code) => resolve(code));
        // A spawn failure emits "error" without "close"; the process is gone all the same.
        child.once("error", () => resolve(null));
      });
      return {
        started,
        exited,
        kill: () => {
          child.kill("SIGTERM");
        },
      };
    },
  };
}
