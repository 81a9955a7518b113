/**
 * The `Server-Timing` header of a gateway answer: upstream time, time to first token when streamed, total.
 */
export function serverTiming(t: { upstream_ms: number; ttft_ms?: number | undefined; total_ms: number }): string {
  const parts = [`upstream;dur=${t.upstream_ms}`, `total;dur=${t.total_ms}`];
  if (t.ttft_ms !== undefined) parts.splice(1, 0, `ttft;dur=${t.ttft_ms}`);
  return parts.join(", ");
}
