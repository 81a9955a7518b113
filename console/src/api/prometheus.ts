/**
 * Just enough of the Prometheus text format for the console's plots: samples by metric name and labels, and
 * a percentile from a histogram's cumulative buckets (as histogram_quantile does, linear within a bucket).
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m?.[1] || m[4] === undefined) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) if (l[1]) labels[l[1]] = l[2] ?? "";
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

export function sum(samples: readonly Sample[], name: string): number {
  return samples.filter((s) => s.name === name).reduce((a, s) => a + s.value, 0);
}

/** Buckets summed over every label set but `le`, as deltas between two scrapes. */
export function bucketDeltas(prev: readonly Sample[], next: readonly Sample[], name: string): Map<number, number> {
  const total = (samples: readonly Sample[]) => {
    const by = new Map<number, number>();
    for (const s of samples)
      if (s.name === `${name}_bucket`) {
        const le = s.labels.le === "+Inf" ? Infinity : Number(s.labels.le);
        by.set(le, (by.get(le) ?? 0) + s.value);
      }
    return by;
  };
  const a = total(prev);
  const out = new Map<number, number>();
  for (const [le, v] of total(next)) out.set(le, v - (a.get(le) ?? 0));
  return out;
}

export function quantile(q: number, buckets: Map<number, number>): number | null {
  const sorted = [...buckets.entries()].sort((x, y) => x[0] - y[0]);
  const count = sorted.at(-1)?.[1] ?? 0;
  if (count <= 0) return null;
  const rank = q * count;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const [le, c] of sorted) {
    if (c >= rank) {
      if (le === Infinity) return lowerLe;
      return lowerLe + ((le - lowerLe) * (rank - lowerCount)) / Math.max(c - lowerCount, 1);
    }
    lowerLe = le;
    lowerCount = c;
  }
  return lowerLe;
}
