/**
 * Server-Sent Events out of the router's stream: each element becomes a `data:` frame through a mapper,
 * a final frame carries usage and timings, then `data: [DONE]`. A client that goes away cancels the
 * provider call.
 */
import type { ExecutedStream, RoutedStreamElement, StreamOutcome } from "../router";

export interface SseMapper {
  /** Frames for one element (none for elements the format does not show). */
  element(el: RoutedStreamElement): unknown[];
  /** The last frame(s): usage, finish reason, timings, or the error that ended the stream. */
  final(outcome: StreamOutcome, timings: ExecutedStream["timings"]): unknown[];
}

export function sseResponse(
  executed: ExecutedStream,
  mapper: SseMapper,
  headers: Record<string, string> = {},
): Response {
  const encoder = new TextEncoder();
  const iterator = executed.stream[Symbol.asyncIterator]();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      // A pull that enqueues nothing is not called again, so skip elements the format does not show.
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        const frames = mapper.element(next.value);
        if (frames.length === 0) continue;
        for (const frame of frames) controller.enqueue(encoder.encode(`data: ${JSON.stringify(frame)}\n\n`));
        return;
      }
      const outcome = await executed.done;
      for (const frame of mapper.final(outcome, executed.timings))
        controller.enqueue(encoder.encode(`data: ${JSON.stringify(frame)}\n\n`));
      controller.enqueue(encoder.encode("data: [DONE]\n\n"));
      controller.close();
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  return new Response(body, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache", ...headers },
  });
}
