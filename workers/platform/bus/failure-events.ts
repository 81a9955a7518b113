/**
 * Failures on the bus are events too: a handler failing, a message dead-lettered. Each is counted in
 * `jimbot_error_rate_total` and published as an ERROR event; failing to publish one is logged, never thrown
 * (announcing a failure must not become a failure loop).
 */
import type { Env } from "../env";
import type { Logger } from "../logger";
import { errorRate } from "../metrics/catalog";
import { increment } from "../metrics/recorder";
import { errorEvent, type ErrorEventInput } from "./error-event";
import { publish } from "./publish";

/** Counts and publishes the failures, all in one publish (a batch's failures share one partition append). */
export async function announceFailures(env: Env, log: Logger, inputs: readonly ErrorEventInput[]): Promise<void> {
  if (inputs.length === 0) return;
  for (const input of inputs) {
    increment(errorRate, { component: input.sourceComponent, severity: input.severity, error_type: input.errorType });
  }
  try {
    await publish(env, inputs.map(errorEvent));
  } catch (err) {
    log.error("could not publish ERROR events", { error: err instanceof Error ? err.message : String(err) });
  }
}
