/**
 * The agent's logger: one JSON object per line on stdout (journald keeps them as is). Callers pass fields, never
 * the device token; `fields` values that are Errors are reduced to their message.
 */

export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

/** Writes JSON lines through `write` (process.stdout by default). */
export function createJsonLogger(write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  return {
    log(level, message, fields = {}) {
      const clean = Object.fromEntries(
        Object.entries(fields).map(([key, value]) => [key, value instanceof Error ? value.message : value]),
      );
      write(`${JSON.stringify({ level, component: "edge-agent", message, ...clean })}\n`);
    },
  };
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = { log: () => {} };
