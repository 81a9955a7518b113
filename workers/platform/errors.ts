/**
 * The one error shape on the wire, `{ error: { code, message, details } }`, and the `onError` that turns
 * every thrown thing into it. Handlers and middleware throw; only this module writes error responses.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ZodError } from "zod";
import { logFor } from "./logger";

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** An error meant for the caller: its status, code and message go on the wire as they are. */
export class AppError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "AppError";
  }
}

/** What a Durable Object returns over RPC instead of throwing (class identity does not survive RPC). */
export interface Failure {
  ok: false;
  status: ContentfulStatusCode;
  code: string;
  message: string;
  details?: unknown;
}

export type Result<T> = ({ ok: true } & T) | Failure;

export function fail(status: ContentfulStatusCode, code: string, message: string, details?: unknown): Failure {
  return details === undefined ? { ok: false, status, code, message } : { ok: false, status, code, message, details };
}

/** Unwraps an RPC result, throwing the failure as an AppError. */
export function unwrap<T extends { ok: true }>(result: T | Failure): T {
  if (result.ok) return result;
  throw new AppError(result.status, result.code, result.message, result.details);
}

const HTTP_CODES: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  408: "request_timeout",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "unprocessable_entity",
  429: "rate_limited",
};

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

/** The app's single `onError`. Unknown errors are logged with their stack and answered without it. */
export function handleError(err: Error, c: Context): Response {
  if (err instanceof AppError) {
    return c.json(errorBody(err.code, err.message, err.details), err.status, err.headers);
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    return c.json(errorBody(HTTP_CODES[status] ?? "http_error", err.message || "request failed"), status);
  }
  if (err instanceof ZodError) {
    return c.json(errorBody("invalid_input", "invalid input", { issues: err.issues }), 400);
  }
  logFor(c).error("unhandled error", { error: err.message, stack: err.stack });
  return c.json(errorBody("internal_error", "internal error"), 500);
}
