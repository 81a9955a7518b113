/**
 * Live events from GET /api/v1/events/stream (Server-Sent Events) read with fetch, not EventSource: fetch can
 * send the credential as a header, so it never rides in the URL (EventSource could only put it in the query).
 */
import { credential } from "./session";

export interface StreamFrame {
  id: string;
  event: string;
  data: string;
}

/**
 * Calls onOpen once the stream is accepted, then onFrame per SSE frame until the signal aborts; resolves when
 * the stream ends. Each frame's data is `{"cursor", "partition", "seq", "event": {...}}`.
 */
export async function tailEvents(
  subjects: readonly string[],
  onOpen: () => void,
  onFrame: (frame: StreamFrame) => void,
  signal: AbortSignal,
): Promise<void> {
  const url = new URL("/api/v1/events/stream", location.origin);
  for (const s of subjects) url.searchParams.append("subject", s);
  const secret = credential();
  const res = await fetch(url, {
    headers: { accept: "text/event-stream", ...(secret ? { authorization: `Bearer ${secret}` } : {}) },
    signal,
  });
  if (!res.ok || !res.body) throw new Error(`live stream answered ${res.status}`);
  onOpen();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.search(/\r?\n\r?\n/)) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(buffer.indexOf("\n", end + 1) + 1);
      const frame: StreamFrame = { id: "", event: "message", data: "" };
      for (const line of block.split(/\r?\n/)) {
        const colon = line.indexOf(":");
        if (colon <= 0) continue; // comments (keep-alives) and blank lines
        const field = line.slice(0, colon);
        const v = line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") frame.data += frame.data ? `\n${v}` : v;
        else if (field === "id") frame.id = v;
        else if (field === "event") frame.event = v;
      }
      if (frame.data) onFrame(frame);
    }
  }
}
