/**
 * The one place that turns an upstream failure into a `FailureKind`: HTTP status + headers + error body, a
 * rejected fetch, an aborted signal, or an error frame inside a stream. Every provider calls these, so the
 * router's fallback rules never look at a provider's own error shapes.
 */
import { type FailureKind, ProviderError } from "../types";

/** Error bodies are read only this far: enough for every provider's error JSON, never a runaway body. */
const MAX_ERROR_BODY = 4096;

// Balance/credit wording, not "quota": Gemini's and OpenAI's per-minute 429s also say "exceeded your current
// quota ... billing details", and treating a per-minute limit as an exhausted budget would park the provider.
const QUOTA =
  /insufficient_quota|billing_error|credit balance|insufficient (?:credits|balance|funds)|out of credits|not enough credits|payment required|余额不足|account limited|"code"\s*:\s*3036\b/i;
const CONTEXT =
  /context_length_exceeded|prompt is too long|maximum context length|context window|input is too long|exceeds the maximum number of tokens|too many (?:input )?tokens/i;
const OVERLOADED = /overloaded_error|"overloaded"/i;
// Gemini answers a wrong key with 400 INVALID_ARGUMENT / API_KEY_INVALID, not 401.
const BAD_KEY = /API_KEY_INVALID|API key not valid|invalid[_ ]api[_ ]key|authentication_error/i;

/** `Retry-After` as delta-seconds or an HTTP date → milliseconds from `now`; anything else → undefined. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Gemini puts the wait in the body: `error.details[{"@type": …RetryInfo, retryDelay: "37s"}]`. */
function retryDelayInBody(body: string): number | undefined {
  const match = /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"/.exec(body);
  return match?.[1] === undefined ? undefined : Math.round(Number(match[1]) * 1000);
}

function retryAfterMs(headers: Headers, body: string): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && /^\d+(?:\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  return parseRetryAfter(headers.get("retry-after")) ?? retryDelayInBody(body);
}

/** A short, single-line excerpt of the upstream's message for logs and `attempts[].reason`. */
function excerpt(body: string): string {
  try {
    const parsed = JSON.parse(body) as unknown;
    const message = findMessage(parsed);
    if (message !== undefined) return message.slice(0, 300);
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return body.replace(/\s+/g, " ").trim().slice(0, 300);
}

function findMessage(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.message === "string") return record.message;
  if (typeof record.error === "string") return record.error;
  if (typeof record.error === "object") return findMessage(record.error);
  if (Array.isArray(record.errors)) return findMessage(record.errors[0]);
  return undefined;
}

/** Classifies an upstream answer that was not 2xx. `body` is the (possibly truncated) response text. */
export function classifyHttpError(provider: string, status: number, headers: Headers, body: string): ProviderError {
  const kind = kindFor(status, body);
  const reason = excerpt(body);
  const message = `${provider}: HTTP ${status}${reason ? `: ${reason}` : ""}`;
  const wait =
    kind === "rate_limited" || kind === "overloaded" || kind === "server" ? retryAfterMs(headers, body) : undefined;
  return new ProviderError(kind, message, status, wait);
}

function kindFor(status: number, body: string): FailureKind {
  if (status === 529 || OVERLOADED.test(body)) return "overloaded";
  if (status === 401 || status === 403) return "auth";
  if (status === 402 || QUOTA.test(body)) return "quota";
  if (status === 429) return "rate_limited";
  if (status === 503) return "overloaded";
  if (status === 408 || status >= 500) return "server";
  if (CONTEXT.test(body)) return "context_length";
  if (BAD_KEY.test(body)) return "auth";
  // 404 is an unknown model or a wrong base URL: this provider's configuration, not the caller's request.
  if (status === 404) return "server";
  return "bad_request";
}

/** Reads a failed response's body (bounded) and classifies it. */
export async function errorFromResponse(provider: string, res: Response): Promise<ProviderError> {
  let body = "";
  try {
    body = (await res.text()).slice(0, MAX_ERROR_BODY);
  } catch {
    // The status alone still classifies.
  }
  return classifyHttpError(provider, res.status, res.headers, body);
}

/**
 * A rejected fetch or body read. An aborted signal is the router's budget running out (or the client going
 * away), so it is a timeout; a router that aborts with a ProviderError as the reason gets that error back.
 */
export function errorFromFailure(provider: string, err: unknown, signal: AbortSignal): ProviderError {
  if (err instanceof ProviderError) return err;
  if (signal.aborted) return abortError(provider, signal);
  const detail = err instanceof Error ? err.message : String(err);
  return new ProviderError("network", `${provider}: ${detail}`);
}

export function abortError(provider: string, signal: AbortSignal): ProviderError {
  const reason: unknown = signal.reason;
  if (reason instanceof ProviderError) return reason;
  const detail = reason instanceof Error ? reason.message : "aborted";
  return new ProviderError("timeout", `${provider}: ${detail}`);
}

/**
 * An error reported inside a 200 stream (OpenAI `data: {"error":…}`, Anthropic `event: error`, a Gemini
 * error frame). Overload and rate limits keep their kind so the router cools the provider correctly.
 */
export function streamError(provider: string, type: string | number | undefined, message: string): ProviderError {
  const tag = type === undefined ? "" : String(type);
  let kind: FailureKind = "stream";
  if (/overloaded/i.test(tag) || tag === "529" || tag === "503") kind = "overloaded";
  else if (/rate_limit|RESOURCE_EXHAUSTED/i.test(tag) || tag === "429") kind = "rate_limited";
  return new ProviderError(kind, `${provider}: stream error${tag ? ` (${tag})` : ""}: ${message}`);
}
