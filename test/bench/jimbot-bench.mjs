// The JimBot part of `npm run bench`, used by run.mjs (issue 11): the knowledge graph and analytics ingestion.
//
// - jimbot-graph@1: the seed's JokerSynergies query (POST /graphql) on a graph of 10,000 entities (1,000 jokers
//   with 10 synergies each, 9,000 other entities), interleaved in 1 s slices with /healthz at one connection
//   (load-gateway.mjs's interleaved runner in the second process), so both see the same machine. Target: p95 <
//   50 ms (the seed's query_timeout). The graph is written straight into D1 before the run (seeding is not the
//   measured path).
// - analytics-ingest: events/s from the first publish of N `metrics.bench` events (batches of 100, from this
//   process) until ANALYTICS_DB holds all N — the bus queue, the consumer, the handler ledger and the insert.
//   Its request side is the publish route the bus scenarios measure; what this adds is the consumer's rate.
import { raisePublishLimits } from "./bus-bench.mjs";

export const JIMBOT_SCENARIOS = ["jimbot-graph@1"];
export const INGEST_SCENARIO = "analytics-ingest";
const ENTITIES = 10_000;
const JOKERS = 1_000;
const SYNERGIES_PER_JOKER = 10;
const TARGET_GRAPH_P95_MS = 50;
const SLICE_MS = 1000;

const JOKER_SYNERGIES = `query JokerSynergies($jokerName: String!) {
  joker(name: $jokerName) {
    synergies {
      target { name }
      strength
      conditions
    }
  }
}`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Writes the 10,000-entity graph into D1 (`DB`); resolves to what it wrote. */
export async function seedGraph(mf) {
  const db = await mf.getD1Database("DB", "botplane");
  const now = Date.now();
  // Multi-row statements with literal values (every value is the bench's own, quote-free): Miniflare's proxy to
  // the D1 binding drops the connection on thousands of bound statements.
  const entities = [];
  for (let i = 0; i < ENTITIES; i++) {
    const joker = i < JOKERS;
    const type = joker ? "joker" : "card";
    const name = joker ? `Joker ${i}` : `Card ${i}`;
    entities.push(`('${type}/${name}', '${type}', '${name}', '{"n":${i}}', ${now})`);
  }
  const relations = [];
  for (let j = 0; j < JOKERS; j++) {
    for (let k = 1; k <= SYNERGIES_PER_JOKER; k++) {
      const source = `joker/Joker ${j}`;
      const target = `joker/Joker ${(j + k * 7) % JOKERS}`;
      relations.push(
        `('${source}|SYNERGY|${target}', '${source}', '${target}', 'SYNERGY', ${k / 10}, '["ante >= ${k}"]', '{}', ${now})`,
      );
    }
  }
  const statements = [];
  for (let i = 0; i < entities.length; i += 500) {
    statements.push(
      "INSERT OR REPLACE INTO kg_entities (id, type, name, properties, updated_at) VALUES " +
        entities.slice(i, i + 500).join(", "),
    );
  }
  for (let i = 0; i < relations.length; i += 500) {
    statements.push(
      "INSERT OR REPLACE INTO kg_relations (id, source_id, target_id, type, strength, conditions, properties, updated_at) VALUES " +
        relations.slice(i, i + 500).join(", "),
    );
  }
  for (const sql of statements) await db.prepare(sql).run();
  return { entities: ENTITIES, relations: relations.length };
}

/** The interleaved scenario for run.mjs's plan: /healthz beside JokerSynergies. */
export function jimbotPlan(origin, token, durationMs) {
  const body = JSON.stringify({ query: JOKER_SYNERGIES, variables: { jokerName: "Joker 42" } });
  return [
    [
      "jimbot-graph@1",
      origin,
      {
        kind: "chat-pair",
        connections: 1,
        durationMs,
        sliceMs: SLICE_MS,
        quiet: true,
        targets: [
          { label: "jimbot-healthz@1", origin, method: "GET", path: "/healthz", check: "healthz" },
          {
            label: "jimbot-synergies@1",
            origin,
            path: "/graphql",
            body,
            headers: { authorization: `Bearer ${token}` },
            check: "graphql",
          },
        ],
      },
    ],
  ];
}

/** Checks the graph answers JokerSynergies with 10 synergies before the load starts. */
export async function probeGraph(origin, token) {
  const res = await fetch(`${origin}/graphql`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ query: JOKER_SYNERGIES, variables: { jokerName: "Joker 42" } }),
  });
  const text = await res.text();
  const synergies = JSON.parse(text)?.data?.joker?.synergies;
  if (res.status !== 200 || !Array.isArray(synergies) || synergies.length !== SYNERGIES_PER_JOKER)
    throw new Error(`probe JokerSynergies: HTTP ${res.status} ${text.slice(0, 300)}`);
}

/** Publishes `count` metrics events and measures how fast ANALYTICS_DB takes them in. */
export async function measureIngest(origin, mf, token, count, timeoutMs) {
  const limits = await raisePublishLimits(origin, token);
  await sleep(Math.max(0, limits.inForceAt - Date.now()));
  const db = await mf.getD1Database("ANALYTICS_DB", "botplane");
  const run = crypto.randomUUID();
  const ingested = async () =>
    (await db.prepare("SELECT count(*) AS n FROM analytics_events WHERE name = ?").bind(run).first()).n;
  const started = performance.now();
  let published = 0;
  for (let i = 0; i < count; i += 100) {
    const events = Array.from({ length: Math.min(100, count - i) }, (_, k) => ({
      type: "metrics.bench",
      source: "bench",
      payload: { name: run, value: i + k },
    }));
    const res = await fetch(`${origin}/api/v1/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ events }),
    });
    if (res.status !== 200) throw new Error(`publish: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
    await res.arrayBuffer();
    published += events.length;
  }
  const publishedMs = performance.now() - started;
  let n;
  for (;;) {
    n = await ingested();
    if (n >= count || performance.now() - started > timeoutMs) break;
    await sleep(50);
  }
  const totalMs = performance.now() - started;
  return {
    kind: "analytics-ingest",
    published,
    ingested: n,
    publish_ms: Math.round(publishedMs),
    total_ms: Math.round(totalMs),
    events_per_s: Math.round((n / totalMs) * 1000),
    complete: n === count,
  };
}

export function jimbotFigures(scenarios) {
  const lat = (name) => scenarios[name]?.latency_ms ?? null;
  const graph = lat("jimbot-synergies@1");
  const healthz = lat("jimbot-healthz@1");
  const ingest = scenarios[INGEST_SCENARIO];
  return {
    joker_synergies_ms: graph && { p50: graph.p50, p95: graph.p95, p99: graph.p99 },
    healthz_same_run_ms: healthz && { p50: healthz.p50, p95: healthz.p95, p99: healthz.p99 },
    graph: { entities: ENTITIES, relations: JOKERS * SYNERGIES_PER_JOKER },
    target_p95_ms: TARGET_GRAPH_P95_MS,
    analytics_ingest: ingest && !ingest.error ? ingest : null,
  };
}

export function jimbotRows(row, r) {
  const fmt = (x) => (x == null ? "-" : (Math.round(x * 100) / 100).toFixed(2));
  const vs = (s, base) =>
    `p50 +${fmt(s.latency_ms.p50 - base.latency_ms.p50)}, p99 +${fmt(s.latency_ms.p99 - base.latency_ms.p99)} ms`;
  const healthz = r["jimbot-healthz@1"];
  row("jimbot: healthz @1 (same slices)", healthz, "rps");
  row("jimbot: JokerSynergies @1 (10k entities)", r["jimbot-synergies@1"], "rps", healthz, "healthz @1", vs);
}

export function jimbotSummary(figures) {
  const out = [];
  const g = figures.joker_synergies_ms;
  const h = figures.healthz_same_run_ms;
  if (g && h)
    out.push(
      `JokerSynergies on ${figures.graph.entities} entities / ${figures.graph.relations} relations: p50 ${g.p50} / ` +
        `p95 ${g.p95} / p99 ${g.p99} ms (target p95 < ${figures.target_p95_ms}); /healthz same slices p50 ${h.p50} / p95 ${h.p95} ms`,
    );
  const i = figures.analytics_ingest;
  if (i)
    out.push(
      `analytics ingestion: ${i.ingested}/${i.published} metrics events in ANALYTICS_DB after ${i.total_ms} ms → ` +
        `${i.events_per_s} events/s (publishing took ${i.publish_ms} ms)${i.complete ? "" : " INCOMPLETE"}`,
    );
  return out;
}
