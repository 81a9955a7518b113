/**
 * `/metrics` and `/v1/stats`: Prometheus text that follows the exposition rules promtool checks, counts that
 * add up across shards and survive their eviction, and the BoTZ gauges matching the stats. Exact stats and
 * gauge figures on storage of their own are in stats-exact.test.ts.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject } from "cloudflare:test";
import { describe, it } from "vitest";
import { ADMIN, call, createItems, json, registerBot, token } from "./helpers";

interface Family {
  type: string;
  help: boolean;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

/** Parses exposition text, failing on anything promtool would reject. */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  let current: string | null = null;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (help?.[1]) {
      if (families.has(help[1])) throw new Error(`second HELP for ${help[1]}`);
      families.set(help[1], { type: "", help: true, samples: [] });
      current = help[1];
      continue;
    }
    if (type?.[1] && type[2]) {
      const fam = families.get(type[1]);
      if (!fam || current !== type[1]) throw new Error(`TYPE for ${type[1]} without its HELP just before`);
      fam.type = type[2];
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!sample?.[1] || !sample[4]) throw new Error(`bad line: ${line}`);
    const name = sample[1];
    const base = name.replace(/_(bucket|sum|count)$/, "");
    const fam = current ? families.get(current) : undefined;
    if (!fam || (name !== current && base !== current)) throw new Error(`sample ${name} outside its family block`);
    const labels: Record<string, string> = {};
    for (const m of (sample[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[m[1] as string] = m[2] as string;
    const value = sample[4] === "+Inf" ? Infinity : Number(sample[4]);
    if (Number.isNaN(value)) throw new Error(`bad value: ${line}`);
    fam.samples.push({ name, labels, value });
  }
  for (const [name, fam] of families) {
    if (fam.type === "counter" && !name.endsWith("_total")) throw new Error(`counter ${name} lacks _total`);
    if (fam.type === "histogram") checkHistogram(name, fam);
  }
  return families;
}

function checkHistogram(name: string, fam: Family): void {
  const groups = new Map<string, Family["samples"]>();
  for (const s of fam.samples) {
    const { le: _le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const samples of groups.values()) {
    const buckets = samples.filter((s) => s.name === `${name}_bucket`);
    const count = samples.find((s) => s.name === `${name}_count`)?.value;
    const inf = buckets.find((b) => b.labels.le === "+Inf")?.value;
    if (inf === undefined || count === undefined || inf !== count)
      throw new Error(`${name}: +Inf bucket must equal _count`);
    const values = buckets.map((b) => b.value);
    if (values.some((v, i) => i > 0 && v < (values[i - 1] as number)))
      throw new Error(`${name}: buckets not cumulative`);
  }
}

async function scrape(): Promise<Map<string, Family>> {
  const res = await call("/metrics", { token: await token(["metrics:read"]) });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  if (!res.headers.get("content-type")?.includes("text/plain; version=0.0.4")) throw new Error("wrong content-type");
  return parseExposition(await res.text());
}

describe("GET /metrics", () => {
  it("should count every request in jimbot_request_duration_seconds by service, route and status", async ({
    expect,
  }) => {
    const auth = await ADMIN();
    const before = await scrape();
    const countOf = (fams: Map<string, Family>, status: string) =>
      fams
        .get("jimbot_request_duration_seconds")
        ?.samples.find(
          (s) => s.name.endsWith("_count") && s.labels.method === "GET /v1/stats" && s.labels.status === status,
        )?.value ?? 0;
    for (let i = 0; i < 7; i++) await call("/v1/stats", { token: auth });
    for (let i = 0; i < 3; i++) await call("/v1/stats");
    const after = await scrape();
    expect(countOf(after, "200") - countOf(before, "200")).toBe(7);
    expect(countOf(after, "401") - countOf(before, "401")).toBe(3);
    const sample = after
      .get("jimbot_request_duration_seconds")
      ?.samples.find((s) => s.labels.method === "GET /v1/stats");
    expect(sample?.labels.service).toBe("botz");
  });

  it("should label each request with the domain whose router served it", async ({ expect }) => {
    const auth = await ADMIN();
    await call("/inference", { token: auth, body: { function_name: "no_such_function", input: { messages: [] } } });
    await call("/openai/v1/models", { token: auth });
    await call("/api/v1/resources/status", { token: auth });
    await call("/healthz");
    const services = new Map(
      ((await scrape()).get("jimbot_request_duration_seconds")?.samples ?? []).map((s) => [
        s.labels.method,
        s.labels.service,
      ]),
    );
    expect(services.get("POST /inference")).toBe("models");
    expect(services.get("GET /openai/v1/models")).toBe("models");
    expect(services.get("GET /api/v1/resources/status")).toBe("resources");
    expect(services.get("GET /healthz")).toBe("platform");
  });

  it("should keep counts when the shards are evicted", async ({ expect }) => {
    for (let i = 0; i < 5; i++) await call("/healthz");
    const before =
      (await scrape())
        .get("jimbot_request_duration_seconds")
        ?.samples.find((s) => s.name.endsWith("_count") && s.labels.method === "GET /healthz")?.value ?? 0;
    for (let shard = 0; shard < 4; shard++) await evictDurableObject(env.METRICS.getByName(`shard-${shard}`));
    const after =
      (await scrape())
        .get("jimbot_request_duration_seconds")
        ?.samples.find((s) => s.name.endsWith("_count") && s.labels.method === "GET /healthz")?.value ?? 0;
    expect(after).toBe(before);
    expect(before).toBeGreaterThanOrEqual(5);
  });

  it("should sum what different isolates flushed into different shards", async ({ expect }) => {
    const key = 'jimbot_event_bus_messages_total{destination="bus",event_type="test.sum.v1",source="iso"}';
    await env.METRICS.getByName("shard-1").add([[key, 2]]);
    await env.METRICS.getByName("shard-3").add([[key, 5]]);
    const fam = (await scrape()).get("jimbot_event_bus_messages_total");
    expect(fam?.type).toBe("counter");
    expect(fam?.samples.find((s) => s.labels.event_type === "test.sum.v1")?.value).toBe(7);
  });

  it("should expose the BoTZ gauges with the same figures as /v1/stats", async ({ expect }) => {
    const auth = await ADMIN();
    const bot = await registerBot("agentic", auth);
    const [id] = await createItems(auth, [{}, {}]);
    await call("/v1/workitems/claim", { token: auth, body: { botz_id: bot, work_item_id: id } });
    const stats = await json<{
      work_items: { by_status: Record<string, number> };
      claims_last_hour: number;
      instances: { by_skill_level: Record<string, number> };
    }>(await call("/v1/stats", { token: auth }));
    const fams = await scrape();
    const gauge = (name: string, labels: Record<string, string> = {}) =>
      fams
        .get(name)
        ?.samples.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        .reduce((a, s) => a + s.value, 0);
    expect(fams.get("botz_work_items")?.type).toBe("gauge");
    expect(gauge("botz_work_items", { status: "pending" })).toBe(stats.work_items.by_status.pending);
    expect(gauge("botz_work_items", { status: "claimed" })).toBe(stats.work_items.by_status.claimed);
    expect(gauge("botz_instances", { skill_level: "agentic" })).toBe(stats.instances.by_skill_level.agentic);
    expect(gauge("botz_claims_last_hour")).toBe(stats.claims_last_hour);
  });
});
