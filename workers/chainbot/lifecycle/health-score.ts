/**
 * The vocabulary of ChainBot's health: a component's status and 0.0–1.0 score, and the latency score every
 * round-trip check shares.
 */

export type ComponentStatus = "healthy" | "degraded" | "unhealthy" | "stopped" | "not_started";

export interface ComponentHealth {
  status: ComponentStatus;
  /** 0.0–1.0, or null when nothing is measured for this component. */
  score: number | null;
  latency_ms?: number;
  detail?: string;
  /** The measured figures the score comes from (counts, rates), so a reader can check it. */
  facts?: Record<string, number>;
}

/** A round trip this fast or faster scores 1.0; the score falls linearly to FLOOR at SLOW_MS and stays there. */
export const DB_FAST_MS = 200;
export const DB_SLOW_MS = 2_000;
const DB_FLOOR = 0.5;

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

export function latencyScore(ms: number): number {
  if (ms <= DB_FAST_MS) return 1;
  const fraction = Math.min(1, (ms - DB_FAST_MS) / (DB_SLOW_MS - DB_FAST_MS));
  return round2(1 - fraction * (1 - DB_FLOOR));
}
