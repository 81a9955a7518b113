/**
 * The bus is sharded by subject into EVENT_BUS_PARTITIONS partitions (seed 002: `partitions: 8`), each one
 * EventStream Durable Object that durably logs its events, feeds their live subscribers and forwards them to
 * the queue. A subject always lands in the same partition, so one subject's events keep their order; a
 * subscriber is fed by every partition its patterns can match.
 */
import { literalPrefix } from "./subjects";

/** FNV-1a over the subject's UTF-16 units: stable across isolates and deploys, cheap, well spread. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function partitionOf(subject: string, count: number): number {
  return count <= 1 ? 0 : hash(subject) % count;
}

/** The partitions whose events a subscriber with these patterns may want: one per literal subject, else all. */
export function partitionsFor(patterns: readonly string[], count: number): number[] {
  const out = new Set<number>();
  for (const pattern of patterns) {
    if (literalPrefix(pattern) !== pattern) return Array.from({ length: count }, (_, i) => i);
    out.add(partitionOf(pattern, count));
  }
  return [...out].sort((a, b) => a - b);
}

export function partitionName(index: number): string {
  return `partition-${index}`;
}
