/**
 * The HTTP plumbing every remote provider shares: base URL joining (configured URLs carry their version and
 * sometimes a trailing slash), one POST that classifies failures, and zod-checked body reads that honour the
 * attempt's AbortSignal. Provider files only map shapes.
 */
import type { z } from "zod";
import { ProviderError } from "../types";
import { abortError, errorFromFailure, errorFromResponse } from "./http-errors";
import { fetchFailure, originFailure } from "./network-failure";

/** `https://x/api/paas/v4/` + `chat/completions` → one slash between them, never two. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

/** POSTs JSON; resolves only with a 2xx response, otherwise throws a classified ProviderError. */
export async function postJson(
  provider: string,
  url: string,
  headers: Record<string, string>,
  body: unknown,
  signal: AbortSignal,
): Promise<Response> {
  if (signal.aborted) throw abortError(provider, signal);
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
      signal,
    });
  } catch (err) {
    throw await fetchFailure(provider, url, err, signal);
  }
  if (!res.ok) throw originFailure(provider, url, await errorFromResponse(provider, res));
  return res;
}

/** A 2xx streaming response must have a body; an empty one is a broken stream. */
export function streamBody(provider: string, res: Response): ReadableStream<Uint8Array> {
  if (res.body === null) throw new ProviderError("stream", `${provider}: empty stream body`);
  return res.body as ReadableStream<Uint8Array>;
}

/** Reads and validates a JSON body; an abort mid-body cancels it and reports the timeout. */
export async function readJson<T>(
  provider: string,
  res: Response,
  schema: z.ZodType<T>,
  signal: AbortSignal,
): Promise<T> {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      res.body?.cancel().catch(() => undefined);
      reject(abortError(provider, signal));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
  let text: string;
  try {
    text = await Promise.race([res.text(), aborted]);
  } catch (err) {
    throw errorFromFailure(provider, err, signal);
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    throw new ProviderError("stream", `${provider}: response is not JSON: ${text.slice(0, 120)}`);
  }
  return parseWith(provider, schema, parsed);
}

/** Validates an upstream shape; a mismatch is the provider's fault (malformed answer), so the router falls back. */
export function parseWith<T>(provider: string, schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid";
    throw new ProviderError("stream", `${provider}: unexpected response shape at ${where}`);
  }
  return result.data;
}

/** Tool arguments travel as a JSON string internally; wire formats that want an object get it parsed. */
export function parseArguments(provider: string, args: string): Record<string, unknown> {
  if (args.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(args) as unknown;
  } catch {
    throw new ProviderError("bad_request", `${provider}: tool call arguments are not JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProviderError("bad_request", `${provider}: tool call arguments must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Text of all text blocks of a message, in order. */
export function textOf(blocks: readonly { type: string; text?: string }[]): string {
  let text = "";
  for (const block of blocks) if (block.type === "text" && block.text !== undefined) text += block.text;
  return text;
}
