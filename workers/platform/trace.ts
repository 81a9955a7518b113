/**
 * W3C trace context: parse an incoming `traceparent`, start a span for this request, format the header
 * that goes back to the caller and onto bus messages.
 */
export interface TraceContext {
  traceId: string;
  spanId: string;
  /** The caller's span, when a valid traceparent came in. */
  parentSpanId?: string;
  sampled: boolean;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/**
 * Trace and span ids need uniqueness, not secrecy, and getRandomValues was the single most expensive call
 * on a request's path (profiled), so they come from Math.random, 32 bits at a time.
 */
function randomHex(bytes: number): string {
  let out = "";
  for (let i = 0; i < bytes; i += 4) out += ((Math.random() * 0x100000000) >>> 0).toString(16).padStart(8, "0");
  return out.slice(0, bytes * 2);
}

/** Continues the caller's trace when its header is valid, otherwise starts a new one. */
export function startSpan(traceparent: string | null | undefined): TraceContext {
  const m = traceparent ? TRACEPARENT.exec(traceparent.trim().toLowerCase()) : null;
  const [, traceId, parentSpanId, flags] = m ?? [];
  if (traceId && parentSpanId && flags && traceId !== ZERO_TRACE && parentSpanId !== ZERO_SPAN) {
    return { traceId, parentSpanId, spanId: randomHex(8), sampled: (parseInt(flags, 16) & 1) === 1 };
  }
  return { traceId: randomHex(16), spanId: randomHex(8), sampled: true };
}

export function formatTraceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.sampled ? "01" : "00"}`;
}
