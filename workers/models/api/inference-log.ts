/**
 * The inference log: every inference's row is buffered in the isolate and inserted into D1 in batches from
 * `waitUntil`, so the log never sits on the request path. Request and response bodies are capped so rows
 * stay small. Provider trouble (no credit, wrong key) is also announced on the bus as ERROR events.
 */
import { errorEvent } from "../../platform/bus/error-event";
import { publish } from "../../platform/bus/publish";
import { createDb } from "../../platform/db/client";
import { inferences } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import { boundedList, createIsolateBuffer } from "../../platform/isolate-buffer";
import { errorRate } from "../../platform/metrics/catalog";
import { increment } from "../../platform/metrics/recorder";

const BODY_CAP = 2048;

export type InferenceRow = typeof inferences.$inferSelect;

export function cap(value: unknown): string {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? "");
  return text.length > BODY_CAP ? `${text.slice(0, BODY_CAP)}…[${text.length - BODY_CAP} more]` : text;
}

/** Rows wait in the isolate this long, so one D1 batch carries many inferences. */
const FLUSH_DELAY_MS = 250;
/** 21 columns a row: 4 rows a statement stay under D1's 100 bound parameters. */
const ROWS_PER_STATEMENT = 4;
const MAX_BUFFERED = 5000;

const pending = boundedList<InferenceRow>(MAX_BUFFERED);

async function insertRows(rows: readonly InferenceRow[], env: Env): Promise<void> {
  const db = createDb(env.DB);
  const statements = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT)
    statements.push(
      db
        .insert(inferences)
        .values(rows.slice(i, i + ROWS_PER_STATEMENT))
        .onConflictDoNothing(),
    );
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
}

// D1 refused the batch: its rows go back (bounded) for the next flush rather than being lost.
const buffer = createIsolateBuffer<InferenceRow[], Env>({
  store: pending,
  delayMs: FLUSH_DELAY_MS,
  onFailure: "put-back",
  send: insertRows,
});

/**
 * Queues the row in this isolate and arranges one delayed batch insert from `waitUntil`: the log never sits
 * on the request path, and many inferences share one D1 round trip. (Not through the event bus: a log row
 * needs no history, no live fan-out and no handlers, and that path cost more than the inference itself.)
 */
export function logInference(env: Env, row: InferenceRow, waitUntil: (p: Promise<unknown>) => void): void {
  pending.push(row);
  buffer.schedule(env, waitUntil);
}

/**
 * A provider found out of credit or with a wrong key is a failure worth announcing: published as an ERROR
 * event (seed 002), so operators see it on the bus and in `jimbot_error_rate_total`.
 */
export function announceProviderTrouble(
  env: Env,
  attempts: readonly { provider: string; status: string; reason: string }[],
  traceparent: string,
): Promise<void> {
  const events = attempts
    .filter((a) => a.status === "quota" || a.status === "auth")
    .map((a) => {
      const exhausted = a.status === "quota";
      increment(errorRate, {
        component: `model.provider.${a.provider}`,
        severity: "ERROR",
        error_type: exhausted ? "provider_exhausted" : "provider_misconfigured",
      });
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
