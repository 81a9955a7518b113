/**
 * Failures are events too: seed 002's ErrorEvent (severity, affected_components, suggested_action) on the
 * `errors.botplane.<component>` subject, built here so every producer shapes them alike. Still EventType
 * ERROR (`errors.>`), but apart from the `errors.<source>` that clients publish, and reserved to botplane
 * (platform/bus/reserved-subjects.ts) so no client can forge one.
 */
import { createEvent, type BusEvent } from "./envelope";

export const ERROR_SEVERITIES = ["INFO", "WARNING", "ERROR", "CRITICAL"] as const;
export const RECOVERY_ACTIONS = ["RETRY", "CIRCUIT_BREAK", "FALLBACK", "ESCALATE"] as const;

export interface ErrorEventInput {
  sourceComponent: string;
  severity: (typeof ERROR_SEVERITIES)[number];
  message: string;
  errorType: string;
  suggestedAction: (typeof RECOVERY_ACTIONS)[number];
  affectedComponents?: string[];
  context?: Record<string, string>;
  stackTrace?: string;
  correlationId?: string;
  traceparent?: string;
  now?: number;
}

/** An ERROR event; `context.error_type` carries the label `jimbot_error_rate_total` counts by. */
export function errorEvent(input: ErrorEventInput): BusEvent {
  const errorId = crypto.randomUUID();
  const component = input.sourceComponent.toLowerCase().replace(/[^a-z0-9_-]+/g, "_");
  return createEvent({
    type: `errors.botplane.${component}`,
    source: input.sourceComponent,
    correlationId: input.correlationId,
    traceparent: input.traceparent,
    now: input.now,
    payload: {
      error_id: errorId,
      source_component: input.sourceComponent,
      severity: input.severity,
      message: input.message,
      stack_trace: input.stackTrace ?? "",
      context: { error_type: input.errorType, ...input.context },
      affected_components: input.affectedComponents ?? [input.sourceComponent],
      suggested_action: input.suggestedAction,
    },
  });
}
