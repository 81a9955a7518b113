/**
 * The inference log: every inference is announced on the bus (`models.inference.v1`) from `waitUntil` and
 * a bus handler writes the row to D1, so the log never sits on the request path and rows arrive in queue
 * batches. Request and response bodies are capped so rows stay small.
 */
import type { BusHandler } from "../../platform/bus/consumer";
import { createEvent } from "../../platform/bus/envelope";
import { publish } from "../../platform/bus/publish";
import { createDb } from "../../platform/db/client";
import { inferences } from "../../platform/db/schema";
import type { Env } from "../../platform/env";

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

/** Writes the announced row; idempotent on the inference id. */
export const writeInferenceRow: BusHandler = {
  name: "models.inference_log",
  async run(event, env) {
    const row = event.payload as InferenceRow;
    await createDb(env.DB).insert(inferences).values(row).onConflictDoNothing();
  },
};
