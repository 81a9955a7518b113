/**
 * Span export as OTLP/HTTP JSON (a Worker cannot speak OTLP/gRPC) when TRACE_ENDPOINT is set. Spans are
 * buffered in the isolate and posted in batches from `waitUntil`, never on a request's critical path; a
 * collector that is down costs the spans of that batch, not requests. The buffer is bounded.
 */
import type { Env } from "../env";
import { boundedList, createIsolateBuffer } from "../isolate-buffer";
import type { TraceContext } from "../trace";

export interface Span {
  trace: TraceContext;
  name: string;
  kind: "server" | "consumer" | "internal";
  startMs: number;
  endMs: number;
  error: boolean;
  attributes: Record<string, string | number | boolean>;
}

const KIND = { internal: 1, server: 2, consumer: 5 } as const;
const FLUSH_DELAY_MS = 250;
const MAX_BUFFERED = 2000;

const spans = boundedList<Span>(MAX_BUFFERED);

/** The collector URL for OTLP/HTTP traces, or null when export is off. */
export function tracesUrl(env: Pick<Env, "TRACE_ENDPOINT">): string | null {
  const base = env.TRACE_ENDPOINT?.trim();
  if (!base) return null;
  return base.endsWith("/v1/traces") ? base : `${base.replace(/\/+$/, "")}/v1/traces`;
}

function attribute(key: string, value: string | number | boolean) {
  if (typeof value === "boolean") return { key, value: { boolValue: value } };
  if (typeof value === "number")
    return Number.isInteger(value)
      ? { key, value: { intValue: String(value) } }
      : { key, value: { doubleValue: value } };
  return { key, value: { stringValue: value } };
}

function nanos(ms: number): string {
  return (BigInt(Math.round(ms * 1000)) * 1000n).toString();
}

/** The OTLP JSON body for a batch of spans (ids hex-encoded, as the JSON mapping requires). */
export function otlpBody(spans: readonly Span[], service: string, version: string) {
  return {
    resourceSpans: [
      {
        resource: { attributes: [attribute("service.name", service), attribute("service.version", version)] },
        scopeSpans: [
          {
            scope: { name: "botplane" },
            spans: spans.map((s) => ({
              traceId: s.trace.traceId,
              spanId: s.trace.spanId,
              ...(s.trace.parentSpanId ? { parentSpanId: s.trace.parentSpanId } : {}),
              name: s.name,
              kind: KIND[s.kind],
              startTimeUnixNano: nanos(s.startMs),
              endTimeUnixNano: nanos(s.endMs),
              attributes: Object.entries(s.attributes).map(([k, v]) => attribute(k, v)),
              status: { code: s.error ? 2 : 1 },
            })),
          },
        ],
      },
    ],
  };
}

// A collector that is down costs the spans of that batch ("drop"), rather than growing memory without bound.
const buffer = createIsolateBuffer<Span[], { env: Env; url: string }>({
  store: spans,
  delayMs: FLUSH_DELAY_MS,
  onFailure: "drop",
  send: async (batch, { env, url }) => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(otlpBody(batch, env.COMPONENT_NAME ?? "botplane", env.COMPONENT_VERSION ?? "0.1.0")),
    });
    await res.body?.cancel();
  },
});

/** Buffers a finished span and arranges one delayed batch export per isolate. */
export function recordSpan(env: Env, span: Span, waitUntil: (p: Promise<unknown>) => void): void {
  const url = tracesUrl(env);
  if (!url) return;
  spans.push(span);
  buffer.schedule({ env, url }, waitUntil);
}
