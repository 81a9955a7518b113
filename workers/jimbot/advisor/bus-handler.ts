/**
 * The advisor on the bus (seed 002's RequestStrategy, queue `strategy_requests`): every `strategy.request`
 * event (EventType STRATEGY_REQUEST) is answered by one `strategy.response` event (STRATEGY_RESPONSE) with the
 * same correlation_id — the advice, the cached advice, or a refusal saying why (deadline, rate limit, breaker,
 * a request that is not a StrategyRequest). Never silence: even a malformed request gets its refusal.
 *
 * Exactly once: the response's event_id is derived from the request's, and partitions de-duplicate by
 * event_id, so a redelivered request (even one answered before the ledger mark was written) publishes nothing
 * new.
 */
import type { BusHandler } from "../../platform/bus/consumer";
import { createEvent, type BusEvent } from "../../platform/bus/envelope";
import { publish } from "../../platform/bus/publish";
import type { Env } from "../../platform/env";
import type { Logger } from "../../platform/logger";
import type { GatewayModel } from "../../platform/model-port";
import { sha256Hex } from "../../platform/sha256";
import { formatTraceparent, startSpan } from "../../platform/trace";
import { advise } from "./advise";
import { StrategyRequestSchema, type StrategyResponse } from "./schemas";

export const STRATEGY_REQUEST_SUBJECT = "strategy.request";
export const STRATEGY_RESPONSE_SUBJECT = "strategy.response";
export const ADVISOR_SOURCE = "claude_advisor";
const HANDLER = "jimbot.advisor";

/** A UUID (v4 layout) fixed by the request's event_id: the response's id, the same on every delivery. */
export async function responseEventId(requestEventId: string): Promise<string> {
  const hex = await sha256Hex(`${requestEventId}:${STRATEGY_RESPONSE_SUBJECT}`);
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function invalidAnswer(message: string): StrategyResponse {
  return {
    status: "refused",
    source: "none",
    fingerprint: "",
    strategy: null,
    refusal: { reason: "invalid_request", message, retry_after_ms: 0 },
    cache_age_s: null,
    served: null,
    elapsed_ms: 0,
  };
}

async function onRequest(event: BusEvent, env: Env, log: Logger, model: GatewayModel): Promise<void> {
  const traceparent = formatTraceparent(startSpan(event.metadata.traceparent));
  const parsed = StrategyRequestSchema.safeParse(event.payload);
  let answer: StrategyResponse;
  // A handler has no waitUntil of its own: cache writes, breaker reports and a late model answer are awaited
  // after the response is out, so the deadline holds for the answer and the work still finishes before the ack.
  const deferred: Promise<unknown>[] = [];
  try {
    if (parsed.success) {
      answer = await advise(
        { env, ctx: { waitUntil: (p) => void deferred.push(p) }, model, log, traceparent },
        parsed.data,
      );
    } else {
      const first = parsed.error.issues[0];
      const message = `payload.${first?.path.map(String).join(".") ?? ""}: ${first?.message ?? "invalid"}`;
      log.warn("strategy.request: not a StrategyRequest", { event_id: event.event_id, message });
      answer = invalidAnswer(message);
    }
    await publish(env, [
      createEvent({
        type: STRATEGY_RESPONSE_SUBJECT,
        source: ADVISOR_SOURCE,
        payload: answer,
        correlationId: event.correlation_id,
        traceparent,
        metadata: { request_event_id: event.event_id },
        eventId: await responseEventId(event.event_id),
      }),
    ]);
  } finally {
    await Promise.allSettled(deferred);
  }
}

export function advisorBusHandlers(model: GatewayModel): Record<string, BusHandler[]> {
  return {
    [STRATEGY_REQUEST_SUBJECT]: [{ name: HANDLER, run: (event, env, log) => onRequest(event, env, log, model) }],
  };
}
