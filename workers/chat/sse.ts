/**
 * `POST /chat` with `"stream": true`: the turn runs with each model round streamed, and the response is
 * Server-Sent Events — `{"type":"token","text":…}` per delta, then `{"type":"done",…}` with the whole turn
 * (reply, usage, cost, tool calls), or `{"type":"error","error":{code,message}}`, then `data: [DONE]`. The
 * session is opened before the stream starts, so a missing session is still a plain 404; only what fails
 * after the headers (the model gateway, a tool) arrives as an error frame.
 */
import { AppError, type ErrorBody } from "../platform/errors";
import { type OpenedTurn, runTurn, type TurnDeps, type TurnRequest } from "./chat-turn";

export function sseTurn(
  request: TurnRequest,
  opened: OpenedTurn,
  deps: Omit<TurnDeps, "onToken">,
  errorBody: (code: string, message: string, details?: unknown) => ErrorBody,
): Response {
  const encoder = new TextEncoder();
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  // Writes are queued in order; a client gone away makes them fail, which must not fail the turn.
  const frame = (data: unknown) => {
    writer.write(encoder.encode(`data: ${JSON.stringify(data)}\n\n`)).catch(() => undefined);
  };
  const turn = runTurn(request, opened, { ...deps, onToken: (text) => frame({ type: "token", text }) })
    .then((result) => frame({ type: "done", ...result }))
    .catch((err: unknown) => {
      const body =
        err instanceof AppError
          ? errorBody(err.code, err.message, err.details)
          : errorBody("internal_error", "internal error");
      if (!(err instanceof AppError)) deps.log.error("chat stream failed", { error: String(err) });
      frame({ type: "error", ...body });
    })
    .finally(() => {
      writer.write(encoder.encode("data: [DONE]\n\n")).catch(() => undefined);
      writer.close().catch(() => undefined);
    });
  deps.ctx.waitUntil(turn);
  return new Response(readable, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
  });
}
