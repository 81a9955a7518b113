/**
 * One strategy answer (seed 002's ClaudeAdvisor.RequestStrategy), for the HTTP route and the bus handler alike:
 * a fresh cached strategy for the situation is served as it is; otherwise the `strategy` JSON function is asked
 * behind the `claude_advisor` breaker and rate limit and within the deadline (the seed's 5 s). Whenever the model
 * cannot be asked or does not answer in time, the cached strategy is served however old, flagged with why; with
 * none, the answer is a refusal that says why. It never throws for the model's sake: callers always get an
 * answer to pass on.
 */
import { breaker } from "../../platform/breaker/breaker";
import type { Env } from "../../platform/env";
import type { Logger } from "../../platform/logger";
import { increment } from "../../platform/metrics/recorder";
import type { Deferrer, GatewayModel, ModelReply } from "../../platform/model-port";
import { rateLimiter } from "../../platform/rate-limit/limiter";
import { limitsFor } from "../../platform/rate-limit/limits";
import { strategyAnswers } from "../../platform/metrics/catalog";
import { countHit, readCached, storeCached, type CachedStrategy } from "./cache-store";
import { ADVISOR_COMPONENT, readAdvisorSettings } from "./config";
import { fingerprint, situationKey } from "./fingerprint";
import {
  StrategyAdviceSchema,
  type RefusalReason,
  type StrategyAdvice,
  type StrategyRequest,
  type StrategyResponse,
} from "./schemas";

export interface AdviseDeps {
  env: Env;
  ctx: Deferrer;
  model: GatewayModel;
  log: Logger;
  traceparent?: string | undefined;
  workspace?: string | undefined;
}

const SYSTEM = [
  "You are the strategy advisor of JimBot, an agent that plays the card game Balatro.",
  "Given the game situation as JSON, answer with one JSON object: strategy_name (a short name for the plan),",
  "recommended_action (one of available_actions when they are given), reasoning (one or two sentences) and",
  "confidence (0 to 1).",
].join(" ");

class Timeout {}

function ageSeconds(entry: CachedStrategy, now: number): number {
  return Math.max(0, Math.floor((now - entry.createdAt) / 1000));
}

/** The model's text as advice; null when it is not the function's JSON. */
function adviceOf(reply: ModelReply): StrategyAdvice | null {
  const text = reply.content.map((b) => (b.type === "text" ? b.text : "")).join("");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (value !== null && typeof value === "object" && "confidence" in value && typeof value.confidence === "number")
    // Models overshoot the schema's bounds now and then; the number is still their confidence.
    value = { ...value, confidence: Math.min(1, Math.max(0, value.confidence)) };
  const parsed = StrategyAdviceSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

function deadline(ms: number): { promise: Promise<Timeout>; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<Timeout>((resolve) => {
    timer = setTimeout(() => resolve(new Timeout()), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

export async function advise(deps: AdviseDeps, request: StrategyRequest): Promise<StrategyResponse> {
  const { env, ctx, log } = deps;
  const started = Date.now();
  const settings = readAdvisorSettings(env);
  const fp = await fingerprint(request);
  const cached = await readCached(env, fp);
  const maxAgeMs = request.max_age_s === undefined ? settings.cacheTtlMs : request.max_age_s * 1000;

  const answer = (r: Omit<StrategyResponse, "fingerprint" | "elapsed_ms">): StrategyResponse => {
    increment(strategyAnswers, { source: r.source, status: r.status, reason: r.refusal?.reason ?? "" });
    return { ...r, fingerprint: fp, elapsed_ms: Date.now() - started };
  };
  const fromCache = (entry: CachedStrategy, refusal: StrategyResponse["refusal"]) => {
    ctx.waitUntil(countHit(env, fp, Date.now()));
    return answer({
      status: "answered",
      source: "cache",
      strategy: entry.strategy,
      refusal,
      cache_age_s: ageSeconds(entry, Date.now()),
      served: null,
    });
  };
  const refuse = (reason: RefusalReason, message: string, retryAfterMs: number) => {
    const refusal = { reason, message, retry_after_ms: Math.max(0, Math.ceil(retryAfterMs)) };
    if (cached) return fromCache(cached, refusal);
    return answer({ status: "refused", source: "none", strategy: null, refusal, cache_age_s: null, served: null });
  };

  if (cached && started - cached.createdAt <= maxAgeMs) return fromCache(cached, null);

  const guard = breaker(env, ADVISOR_COMPONENT, (p) => ctx.waitUntil(p));
  const circuitOpen = (retryAfterMs: number) =>
    refuse("circuit_open", `the ${ADVISOR_COMPONENT} circuit breaker is open`, retryAfterMs);
  // An open breaker refuses before a token is spent; the admission (which may take a half-open probe slot)
  // comes only once the bucket has let the call through, so a rate-limited call never holds a probe.
  if (guard.state() === "open") {
    const refused = guard.check();
    if (!refused.allowed) return circuitOpen(refused.retryAfterMs);
  }
  const taken = await rateLimiter(env, ADVISOR_COMPONENT).take(await limitsFor(env, ADVISOR_COMPONENT));
  if (!taken.ok) throw new Error(`rate limiter: ${taken.message}`);
  if (!taken.allowed)
    return refuse("rate_limited", `the ${ADVISOR_COMPONENT} rate limit is spent`, taken.retry_after_ms);
  const admission = guard.check();
  if (!admission.allowed) return circuitOpen(admission.retryAfterMs);

  const situation = situationKey(request);
  const call = deps.model.complete(env, ctx, {
    functionName: settings.functionName,
    system: SYSTEM,
    messages: [
      { role: "user", content: [{ type: "text", text: JSON.stringify({ ...situation, game: request.game_state }) }] },
    ],
    workspace: deps.workspace ?? "default",
    traceparent: deps.traceparent,
    caller: "jimbot",
  });
  const timeoutMs = Math.min(request.timeout_ms ?? settings.timeoutMs, settings.timeoutMs);
  const timer = deadline(timeoutMs);
  let reply: ModelReply | Timeout;
  try {
    reply = await Promise.race([call, timer.promise]);
  } catch (err) {
    guard.failure(err);
    log.warn("strategy: the model call failed", { error: err instanceof Error ? err.message : String(err) });
    return refuse("model_error", `the ${settings.functionName} function failed`, 0);
  } finally {
    timer.cancel();
  }
  if (reply instanceof Timeout) {
    guard.failure(new Error(`no answer within ${timeoutMs} ms`));
    // The answer may still come: it fills the cache for the next caller instead of being thrown away.
    ctx.waitUntil(
      call
        .then(async (late) => {
          const advice = adviceOf(late);
          if (advice) await storeCached(env, { fingerprint: fp, situation, strategy: advice }, Date.now());
        })
        .catch(() => undefined),
    );
    return refuse("timeout", `no answer from ${settings.functionName} within ${timeoutMs} ms`, 0);
  }
  const advice = adviceOf(reply);
  if (!advice) {
    guard.failure(new Error("the answer is not a strategy"));
    return refuse("model_error", `the ${settings.functionName} function's answer is not a strategy`, 0);
  }
  guard.success();
  await storeCached(env, { fingerprint: fp, situation, strategy: advice }, Date.now());
  return answer({
    status: "answered",
    source: "model",
    strategy: advice,
    refusal: null,
    cache_age_s: null,
    served: reply.served,
  });
}
