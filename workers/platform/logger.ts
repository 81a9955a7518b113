/**
 * Structured JSON logs in seed 002's shape (timestamp, level, component, trace_id, span_id, message, …),
 * filtered by LOG_LEVEL, with secrets masked before anything is written.
 */
import type { Context } from "hono";
import type { TraceContext } from "./trace";

export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";
const RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 };
const SECRET_KEY = /(authorization|token|secret|password|api[_-]?key|cookie)/i;

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

function parseLevel(value: string | undefined): LogLevel {
  const upper = (value ?? "INFO").toUpperCase();
  if (upper === "WARNING") return "WARN";
  return upper in RANK ? (upper as LogLevel) : "INFO";
}

/** Replaces the values of secret-looking keys, at any depth, so a log line never carries a credential. */
export function maskSecrets(value: unknown, depth = 0): unknown {
  if (depth > 5 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? "***" : maskSecrets(v, depth + 1);
  return out;
}

export function createLogger(component: string, level: string | undefined, trace?: TraceContext): Logger {
  const min = RANK[parseLevel(level)];
  function write(lvl: LogLevel, message: string, fields?: Record<string, unknown>): void {
    if (RANK[lvl] < min) return;
    const line = {
      timestamp: new Date().toISOString(),
      level: lvl,
      component,
      trace_id: trace?.traceId,
      span_id: trace?.spanId,
      message,
      ...(fields ? (maskSecrets(fields) as Record<string, unknown>) : {}),
    };
    const text = JSON.stringify(line);
    if (lvl === "ERROR") console.error(text);
    else if (lvl === "WARN") console.warn(text);
    else console.log(text);
  }
  return {
    debug: (m, f) => write("DEBUG", m, f),
    info: (m, f) => write("INFO", m, f),
    warn: (m, f) => write("WARN", m, f),
    error: (m, f) => write("ERROR", m, f),
  };
}

/** The request's logger, or a bare one when the error struck before the trace middleware ran. */
export function logFor(c: Context): Logger {
  const logger: unknown = c.get("logger");
  if (logger) return logger as Logger;
  return createLogger("http", (c.env as { LOG_LEVEL?: string } | undefined)?.LOG_LEVEL);
}
