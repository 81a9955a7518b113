/**
 * The agent's logger: one JSON object per line on stdout (journald keeps them as is). Callers pass fields, never
 * the device token; `fields` values that are Errors are reduced to their message.
 */

export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

/** EDGE_LOG_LEVEL's spelling → the level written in the log lines. */
export const LOG_LEVELS = { debug: "DEBUG", info: "INFO", warn: "WARN", error: "ERROR" } as const;

const RANK: Record<LogLevel, number> = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3 };

/** Writes JSON lines at `minimum` and above through `write` (process.stdout by default). */
export function createJsonLogger(
  minimum: LogLevel = "INFO",
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  return {
    log(level, message, fields = {}) {
      if (RANK[level] < RANK[minimum]) return;
      const clean = Object.fromEntries(
        Object.entries(fields).map(([key, value]) => [key, value instanceof Error ? value.message : value]),
      );
      write(`${JSON.stringify({ level, component: "edge-agent", message, ...clean })}\n`);
    },
  };
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = { log: () => {} };
