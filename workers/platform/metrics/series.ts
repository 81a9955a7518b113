/**
 * A series key is the sample's exposition text without its value: `name{a="x",b="y"}`, labels sorted and
 * escaped. Buffers, shards and the renderer all key by it, so summing across isolates is adding numbers.
 */
export type Labels = Readonly<Record<string, string | number>>;

function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll('"', '\\"');
}

export function seriesKey(name: string, labels: Labels = {}): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return name;
  const parts = keys.map((k) => `${k}="${escapeLabel(String(labels[k]))}"`);
  return `${name}{${parts.join(",")}}`;
}

/** The metric name of a series key (`a_bucket{le="1"}` → `a_bucket`). */
export function seriesName(key: string): string {
  const brace = key.indexOf("{");
  return brace === -1 ? key : key.slice(0, brace);
}
