/**
 * A ProcessRunner that runs nothing: it records every call's exact argument array, answers execFile from a
 * script, and hands out held processes the test can inspect and end.
 */
import type { ExecResult, HeldProcess, ProcessRunner } from "../../edge-agent/src/process-runner";

export interface FakeHeld extends HeldProcess {
  readonly args: readonly string[];
  readonly killed: boolean;
  /** Ends the process as if it had exited by itself. */
  exit(code: number | null): void;
}

export interface FakeRunner extends ProcessRunner {
  /** Every call in order: ["execFile" | "spawn", file, ...args]. */
  readonly calls: string[][];
  readonly held: FakeHeld[];
}

type Answer = ExecResult | Error;

export function createFakeRunner(answers: Record<string, Answer> = {}): FakeRunner {
  const calls: string[][] = [];
  const held: FakeHeld[] = [];
  return {
    calls,
    held,
    async execFile(file, args) {
      calls.push(["execFile", file, ...args]);
      const answer = answers[[file, ...args].join(" ")] ?? answers[file];
      if (answer === undefined) throw Object.assign(new Error(`spawn ${file} ENOENT`), { code: "ENOENT" });
      if (answer instanceof Error) throw answer;
      return answer;
    },
    spawn(file, args) {
      calls.push(["spawn", file, ...args]);
      let finish: (code: number | null) => void = () => {};
      const exited = new Promise<number | null>((resolve) => {
        finish = resolve;
      });
      let killed = false;
      const process: FakeHeld = {
        args: [file, ...args],
        started: Promise.resolve(),
        exited,
        get killed() {
          return killed;
        },
        kill() {
          killed = true;
          finish(null);
        },
        exit: (code) => finish(code),
      };
      held.push(process);
      return process;
    },
  };
}
