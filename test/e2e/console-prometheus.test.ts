/**
 * The console's Prometheus reading (console/src/api/prometheus.ts): samples with labels, sums, and percentiles
 * from histogram bucket deltas between two scrapes, as histogram_quantile computes them.
 */
import { describe, expect, it } from "vitest";
import { bucketDeltas, parseMetrics, quantile, sum } from "../../console/src/api/prometheus.ts";

const BEFORE = `# HELP jimbot_request_duration_seconds x
# TYPE jimbot_request_duration_seconds histogram
jimbot_request_duration_seconds_bucket{service="botz",le="0.01"} 10
jimbot_request_duration_seconds_bucket{service="botz",le="0.1"} 10
jimbot_request_duration_seconds_bucket{service="botz",le="+Inf"} 10
jimbot_request_duration_seconds_count{service="botz"} 10
`;
const AFTER = `jimbot_request_duration_seconds_bucket{service="botz",le="0.01"} 60
jimbot_request_duration_seconds_bucket{service="botz",le="0.1"} 100
jimbot_request_duration_seconds_bucket{service="botz",le="+Inf"} 110
jimbot_request_duration_seconds_count{service="botz"} 110
botplane_circuit_breaker_state{component="model.provider.x",state="open"} 1
`;

describe("console prometheus reading", () => {
  it("should parse samples with their labels and skip comments", () => {
    const samples = parseMetrics(AFTER);
    expect(samples).toHaveLength(5);
    expect(samples[4]).toEqual({
      name: "botplane_circuit_breaker_state",
      labels: { component: "model.provider.x", state: "open" },
      value: 1,
    });
    expect(sum(samples, "jimbot_request_duration_seconds_count")).toBe(110);
  });

  it("should compute percentiles from the buckets added between two scrapes", () => {
    const deltas = bucketDeltas(parseMetrics(BEFORE), parseMetrics(AFTER), "jimbot_request_duration_seconds");
    expect([...deltas.entries()]).toEqual([
      [0.01, 50],
      [0.1, 90],
      [Infinity, 100],
    ]);
    expect(quantile(0.5, deltas)).toBe(0.01);
    // rank 80: 30 of the 40 between 0.01 and 0.1 → 0.01 + 0.09 * 30/40
    expect(quantile(0.8, deltas)).toBeCloseTo(0.0775, 10);
    // rank 99 is past the last finite bucket: its upper bound, as histogram_quantile answers
    expect(quantile(0.99, deltas)).toBe(0.1);
    expect(quantile(0.5, new Map())).toBe(null);
  });
});
