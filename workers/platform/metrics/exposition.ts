/**
 * Renders summed series and gauges as Prometheus text exposition (version 0.0.4): one HELP and TYPE per
 * family, its samples grouped under it, histogram buckets in `le` order ending with +Inf.
 */
import { FAMILIES, type MetricFamily } from "./catalog";
import { seriesKey, seriesName, type Labels } from "./series";

export interface GaugeSample {
  family: MetricFamily;
  labels?: Labels;
  value: number;
}

function familyOf(name: string): MetricFamily | undefined {
  for (const f of FAMILIES) {
    if (f.name === name) return f;
    if (f.type === "histogram" && [`${f.name}_bucket`, `${f.name}_sum`, `${f.name}_count`].includes(name)) return f;
  }
  return undefined;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

function leOf(key: string): number {
  const m = /le="([^"]+)"/.exec(key);
  if (!m?.[1]) return Number.NaN;
  return m[1] === "+Inf" ? Infinity : Number(m[1]);
}

/** Orders a histogram's samples: per label set, buckets by `le`, then sum, then count. */
function histogramOrder(a: string, b: string): number {
  const strip = (k: string) =>
    k
      .replace(/_(bucket|sum|count)\{/, "{")
      .replace(/,?le="[^"]*"/, "")
      .replace("{,", "{");
  const base = strip(a).localeCompare(strip(b));
  if (base !== 0) return base;
  const rank = (k: string) => (seriesName(k).endsWith("_bucket") ? 0 : seriesName(k).endsWith("_sum") ? 1 : 2);
  return rank(a) - rank(b) || leOf(a) - leOf(b);
}

export function renderExposition(series: Map<string, number>, gauges: readonly GaugeSample[]): string {
  const byFamily = new Map<MetricFamily, [string, number][]>();
  for (const f of FAMILIES) byFamily.set(f, []);
  for (const [key, value] of series) {
    const family = familyOf(seriesName(key));
    // A series from an older deploy whose family is gone is left out rather than shown untyped.
    if (family) byFamily.get(family)?.push([key, value]);
  }
  for (const g of gauges) byFamily.get(g.family)?.push([seriesKey(g.family.name, g.labels), g.value]);

  const lines: string[] = [];
  for (const [family, samples] of byFamily) {
    if (samples.length === 0) continue;
    samples.sort(([a], [b]) => (family.type === "histogram" ? histogramOrder(a, b) : a.localeCompare(b)));
    lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`);
    for (const [key, value] of samples) lines.push(`${key} ${formatValue(value)}`);
  }
  return lines.join("\n") + "\n";
}
