/**
 * The inference log: every inference is announced on the bus (`models.inference.v1`) from `waitUntil` and
 * a bus handler writes the row to D1, so the log never sits on the request path and rows arrive in queue
 * batches. Request and response bodies are capped so rows stay small.
 */
import type { BusHandler } from "../../platform/bus/consumer";
import { createEvent } from "../../platform/bus/envelope";
import { errorEvent } from "../../platform/bus/error-event";
import { publish } from "../../platform/bus/publish";
import { createDb } from "../../platform/db/client";
import { inferences } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import { errorRate } from "../../platform/metrics/catalog";
import { increment } from "../../platform/metrics/recorder";

const BODY_CAP = 2048;
export const INFERENCE_SUBJECT = "models.inference.v1";

export type InferenceRow = typeof inferences.$inferSelect;

export function cap(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? "";
  return text.length > BODY_CAP ? `${text.slice(0, BODY_CAP)}…[${text.length - BODY_CAP} more]` : text;
}

export function logInference(env: Env, row: InferenceRow, traceparent: string): Promise<void> {
  const event = createEvent({ type: INFERENCE_SUBJECT, source: "model-gateway", payload: row, traceparent, correlationId: row.episodeId });
  return publish(env.BUS, [event]).catch(() => undefined);
}

/**
 * A provider found out of credit or with a wrong key is a failure worth announcing: published as an ERROR
 * event (seed 002), so operators see it on the bus and in `jimbot_error_rate_total`.
 */
export function announceProviderTrouble(env: Env, attempts: readonly { provider: string; status: string; reason: string }[], traceparent: string): Promise<void> {
  const events = attempts
    .filter((a) => a.status === "quota" || a.status === "auth")
    .map((a) => {
      const exhausted = a.status === "quota";
      increment(errorRate, { component: `model.provider.${a.provider}`, severity: "ERROR", error_type: exhausted ? "provider_exhausted" : "provider_misconfigured" });
      return errorEvent({
        sourceComponent: `model.provider.${a.provider}`,
        severity: "ERROR",
        message: `${a.provider}: ${a.reason}`,
        errorType: exhausted ? "provider_exhausted" : "provider_misconfigured",
        suggestedAction: "FALLBACK",
        traceparent,
        context: { provider: a.provider },
      });
    });
  return events.length ? publish(env.BUS, events).catch(() => undefined) : Promise.resolve();
}

/** Writes the announced row; idempotent on the inference id. */
export const writeInferenceRow: BusHandler = {
  name: "models.inference_log",
  async run(event, env) {
    const row = event.payload as InferenceRow;
    await createDb(env.DB).insert(inferences).values(row).onConflictDoNothing();
  },
};
