/**
 * What the executor adds to `/metrics`: every attempt's outcome, how deep in the plan the answer came from,
 * and provider latency / time to first token. Memory only; the request middleware flushes.
 */
import { increment, observe } from "../../platform/metrics/recorder";
import { inferenceFallbackDepth, inferences, providerLatency, providerTtft } from "../../platform/metrics/catalog";
import type { AttemptRecord } from "./types";

export function countAttempt(functionName: string | undefined, rec: AttemptRecord): void {
  increment(inferences, {
    function: functionName ?? "",
    variant: rec.variant,
    provider: rec.provider,
    status: rec.status,
  });
}

export function observeServed(
  functionName: string | undefined,
  provider: string,
  depth: number,
  latencyMs: number,
  ttftMs?: number,
): void {
  observe(inferenceFallbackDepth, { function: functionName ?? "" }, depth);
  observe(providerLatency, { provider }, latencyMs / 1000);
  if (ttftMs !== undefined) observe(providerTtft, { provider }, ttftMs / 1000);
}
