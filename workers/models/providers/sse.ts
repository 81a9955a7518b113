/**
 * Server-Sent Events parsing for upstream streams (OpenAI, OpenRouter, Anthropic, Gemini, Workers AI):
 * frames split anywhere across network chunks, CRLF or LF, multi-line `data:`, `:` comment lines
 * (OpenRouter's `: OPENROUTER PROCESSING` keep-alives) skipped. Aborting the signal cancels the body and
 * surfaces as the router's timeout, even while a read is waiting on a silent upstream.
 */
import { ProviderError } from "../types";
import { abortError, errorFromFailure } from "./http-errors";

export interface SseEvent {
  /** The `event:` field; undefined for plain `data:` frames. */
  event: string | undefined;
  data: string;
}

export async function* sseEvents(
  provider: string,
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal,
): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  // A pending read() resolves as done once the reader is cancelled, so a silent upstream cannot outlive the budget.
  const onAbort = () => {
    reader.cancel(signal.reason).catch(() => undefined);
  };
  signal.addEventListener("abort", onAbort, { once: true });
  let buffer = "";
  let event: string | undefined;
  let data: string[] = [];
  let finished = false;
  try {
    for (;;) {
      if (signal.aborted) throw abortError(provider, signal);
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        throw errorFromFailure(provider, err, signal);
      }
      if (signal.aborted) throw abortError(provider, signal);
      buffer += chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
      let newline = buffer.indexOf("\n");
      while (newline >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, "");
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf("\n");
        if (line === "") {
          if (data.length > 0) yield { event, data: data.join("\n") };
          event = undefined;
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") data.push(value);
        else if (field === "event") event = value;
      }
      if (chunk.done) {
        finished = true;
        // Lenient at EOF: a last frame without its blank line still counts (some upstreams close right after it).
        const tail = buffer.replace(/\r$/, "");
        if (tail.startsWith("data:")) data.push(tail.slice(5).replace(/^ /, ""));
        if (data.length > 0) yield { event, data: data.join("\n") };
        return;
      }
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    // Stopped early (error, consumer break): close the upstream connection rather than leave it streaming.
    if (!finished) await reader.cancel().catch(() => undefined);
  }
}

/** Parses one frame's JSON; a frame that is not JSON is a broken stream, not a crash. */
export function parseFrame(provider: string, data: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    throw new ProviderError("stream", `${provider}: malformed stream frame: ${data.slice(0, 120)}`);
  }
}
