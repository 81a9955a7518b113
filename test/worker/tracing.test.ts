/**
 * Trace context end to end: a request's server span and the queue consumer's span for the event it
 * published share the caller's trace, and reach an OTLP/HTTP collector as JSON when TRACE_ENDPOINT is set.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import type { otlpBody } from "../../workers/platform/otel/exporter";
import { tracesUrl } from "../../workers/platform/otel/exporter";
import { ADMIN, call } from "./helpers";

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}

async function collectedSpans(): Promise<OtlpSpan[]> {
  const bodies = await (await fetch(env.TEST_COLLECTOR_URL)).json<ReturnType<typeof otlpBody>[]>();
  return bodies.flatMap((b) => b.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans as OtlpSpan[])));
}

describe("OTLP export", () => {
  it("should build the collector URL from TRACE_ENDPOINT", ({ expect }) => {
    expect(tracesUrl({ TRACE_ENDPOINT: "http://collector:4318" })).toBe("http://collector:4318/v1/traces");
    expect(tracesUrl({ TRACE_ENDPOINT: "http://c/v1/traces" })).toBe("http://c/v1/traces");
    expect(tracesUrl({ TRACE_ENDPOINT: "" })).toBeNull();
  });

  it("should export the request's server span and the consumer's span in the caller's trace", async ({ expect }) => {
    const traceId = crypto.randomUUID().replaceAll("-", "");
    const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;
    const res = await call("/api/v1/events", {
      token: await ADMIN(),
      headers: { traceparent },
      body: { type: "trace.test.v1", source: "tracer", payload: {} },
    });
    expect(res.status).toBe(202);
    await expect
      .poll(
        async () =>
          (await collectedSpans())
            .filter((s) => s.traceId === traceId)
            .map((s) => `${s.kind}:${s.name}`)
            .sort(),
        { timeout: 10_000, interval: 100 },
      )
      .toEqual(["2:POST /api/v1/events", "5:consume trace.test.v1"]);
    const server = (await collectedSpans()).find((s) => s.traceId === traceId && s.kind === 2);
    expect(server?.parentSpanId).toBe("00f067aa0ba902b7");
  });
});
