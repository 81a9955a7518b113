/**
 * Newline-delimited JSON from a byte stream (Ollama's `application/x-ndjson`, an EdgeHub job stream). Network
 * chunks split lines — and multi-byte characters — anywhere, so bytes are decoded in streaming mode and a
 * line is emitted only once its newline arrived; the last line may end without one.
 */

/** A line longer than this is not an answer chunk but a runaway upstream: refuse to buffer it. */
const MAX_LINE_CHARS = 8 * 1024 * 1024;

export class NdjsonError extends Error {
  override name = "NdjsonError";
}

function parse(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    throw new NdjsonError(`not a JSON line: ${line.slice(0, 120)}`);
  }
}

/**
 * Yields each line's parsed value; blank lines (and `\r` of CRLF) are skipped. Throws NdjsonError on bad JSON.
 * With `signal`, an abort cancels the body at once (a read waiting on it ends) and throws the signal's reason:
 * for a body that is an RPC stream, cancelling it is how its producer learns the reader left.
 */
export async function* ndjson(
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<unknown, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const onAbort = () => void reader.cancel(signal?.reason).catch(() => undefined);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { done, value } = await reader.read();
      signal?.throwIfAborted();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line !== "") yield parse(line);
      }
      if (buffer.length > MAX_LINE_CHARS) throw new NdjsonError(`a line exceeds ${MAX_LINE_CHARS} characters`);
      if (done) break;
    }
    const last = buffer.trim();
    if (last !== "") yield parse(last);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    // Stops the upstream when the consumer leaves early (break, error, abort).
    await reader.cancel().catch(() => undefined);
  }
}
