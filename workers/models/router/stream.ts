/**
 * Streaming execution with transparent fallback until the first content delta. Each try opens the
 * provider's stream and buffers the preamble (usage, empty deltas) until real content arrives, within the
 * time-to-first-token budget; any failure before that is an ordinary failed try and the loop moves on.
 * Once content has been committed to the client there is no going back: a later failure ends the stream
 * with one `{ type: "error" }` element carrying the usage so far, and that usage is still charged (the
 * provider bills it).
 */
import type { Breaker } from "../../platform/breaker/breaker";
import type { FailureKind, FinishReason, StreamChunk, Usage } from "../types";
import { chargeCost, costOf } from "./budgets";
import { type ChatInput, mergeParams, servedBy } from "./execute";
import { runAttempts } from "./loop";
import { countAttempt, observeServed } from "./metrics";
import { asProviderError, breakerOutcome, raceAbort, timedController } from "./rules";
import type { ExecutedStream, ExecuteDeps, ExecutionAttempt, RoutedStreamElement, StreamOutcome } from "./types";

interface Committed {
  iterator: AsyncIterator<StreamChunk>;
  /** Chunks pulled up to and including the first content delta. */
  buffered: StreamChunk[];
  /** The provider's stream already ended (an empty or content-free answer). */
  ended: boolean;
  timer: ReturnType<typeof timedController>;
  breaker: Breaker;
  tryStartedAt: number;
}

function isContent(c: StreamChunk): boolean {
  return (c.type === "text_delta" && c.text !== "") || c.type === "tool_call_delta";
}

function abandon(it: AsyncIterator<StreamChunk>): void {
  void Promise.resolve()
    .then(() => it.return?.())
    .catch(() => undefined);
}

/** Opens the stream and pulls until the first content delta (or its end), within the ttft budget. */
async function openUntilContent(
  a: ExecutionAttempt,
  request: ChatInput,
  ttftMs: number,
  clientSignal: AbortSignal | undefined,
  b: Breaker,
  now: () => number,
): Promise<Committed> {
  const tryStartedAt = now();
  const timer = timedController(a.provider.name, ttftMs, "time to first token", clientSignal);
  const signal = timer.controller.signal;
  let iterator: AsyncIterator<StreamChunk> | undefined;
  const buffered: StreamChunk[] = [];
  try {
    const stream = a.provider.chatStream({
      ...request,
      model: a.model,
      params: mergeParams(a.params, request.params),
      signal,
    });
    iterator = stream[Symbol.asyncIterator]();
    for (;;) {
      const r = await raceAbort(iterator.next(), signal);
      if (r.done) return { iterator, buffered, ended: true, timer, breaker: b, tryStartedAt };
      buffered.push(r.value);
      if (isContent(r.value)) return { iterator, buffered, ended: false, timer, breaker: b, tryStartedAt };
    }
  } catch (err) {
    timer.clear();
    if (iterator) abandon(iterator);
    throw asProviderError(err, a.provider.name, signal);
  }
}

function mergeUsage(into: Usage, u: Usage): void {
  // Providers report running totals, some split over several events (Anthropic's input first, output later).
  into.input_tokens = Math.max(into.input_tokens, u.input_tokens);
  into.output_tokens = Math.max(into.output_tokens, u.output_tokens);
}

export async function executeChatStream(
  attempts: readonly ExecutionAttempt[],
  request: ChatInput,
  deps: ExecuteDeps,
): Promise<ExecutedStream> {
  const now = deps.now ?? Date.now;
  const out = await runAttempts(attempts, deps, (a, ctx) =>
    openUntilContent(
      a,
      request,
      Math.min(a.timeouts.streamingTtftMs, ctx.remainingMs),
      ctx.clientSignal,
      ctx.breaker,
      now,
    ),
  );
  const a = out.attempt;
  const name = a.provider.name;
  const c = out.value;
  const committedAt = now();
  const ttftMs = committedAt - out.startedAt;
  // Past the first token only a stall or the stream's own total cap can end it.
  c.timer.rearm(a.timeouts.streamingTotalMs - (committedAt - c.tryStartedAt), "streaming total timeout");

  let resolveDone: (o: StreamOutcome) => void = () => undefined;
  const done = new Promise<StreamOutcome>((resolve) => {
    resolveDone = resolve;
  });

  async function* routed(): AsyncGenerator<RoutedStreamElement> {
    const usage: Usage = { input_tokens: 0, output_tokens: 0 };
    let chars = 0;
    let finish: FinishReason | undefined;
    let error: { kind: FailureKind; message: string } | undefined;
    let drained = false;
    const track = (chunk: StreamChunk) => {
      if (chunk.type === "usage") mergeUsage(usage, chunk.usage);
      else if (chunk.type === "finish") finish = chunk.finish_reason;
      else if (chunk.type === "text_delta") chars += chunk.text.length;
      else chars += chunk.arguments_delta.length;
    };
    const signal = c.timer.controller.signal;
    try {
      for (const chunk of c.buffered) {
        track(chunk);
        yield chunk;
      }
      if (!c.ended) {
        for (;;) {
          const r = await raceAbort(c.iterator.next(), signal);
          if (r.done) break;
          track(r.value);
          yield r.value;
        }
      }
      drained = true;
    } catch (err) {
      drained = true;
      const e = asProviderError(err, name, signal);
      if (breakerOutcome(e.kind) === "failure") c.breaker.failure(e, now());
      error = { kind: e.kind, message: e.message };
      // The provider did not say what it used before failing; a rough count beats charging nothing.
      if (usage.output_tokens === 0 && chars > 0) usage.output_tokens = Math.ceil(chars / 4);
      yield { type: "error", kind: e.kind, message: e.message, usage: { ...usage } };
    } finally {
      c.timer.clear();
      if (!drained || error) abandon(c.iterator);
      const end = now();
      const cost = a.prices ? costOf(usage, a.prices) : undefined;
      if (cost !== undefined) chargeCost(deps.env, name, cost, end, deps.defer);
      if (error) Object.assign(out.record, { status: error.kind, reason: `after the first token: ${error.message}` });
      countAttempt(deps.functionName, out.record);
      if (!error) observeServed(deps.functionName, name, out.records.length - 1, end - c.tryStartedAt, out.tryMs);
      resolveDone({ usage: { ...usage }, finish_reason: finish, error, cost_usd: cost, total_ms: end - out.startedAt });
    }
  }

  return {
    stream: routed(),
    attempt: servedBy(a),
    attempts: out.records,
    timings: { upstream_ms: out.upstreamMs, total_ms: ttftMs, ttft_ms: ttftMs },
    done,
  };
}
