// The JimBot decision part of `npm run bench`, used by run.mjs (issue 11): GetDecision
// (`POST /api/v1/decisions?model_id=bench`) through botplane against the fake decision backend it is routed to
// (the orchestrator's fake upstream, `POST /decide`, bound as DECISION_BACKENDS), beside the same request sent
// to that backend directly and beside /healthz — the three interleaved in 1 s slices on the same connections, so
// each sees the same machine. Targets (seed 002 SLA): 95% of decisions < 100 ms end to end; botplane's
// overhead (through − direct) p95 < 5 ms. A decision that comes back flagged as a fallback counts as wrong.

export const DECISION_SCENARIOS = ["decisions@1", "decisions@10"];
export const DECISION_MODEL = "bench";
const TARGET_P95_MS = 100;
const TARGET_OVERHEAD_P95_MS = 5;
const SLICE_MS = 1000;

/** The request every target sends: a seed LearningDecisionRequest of a realistic size. */
export const DECISION_BODY = JSON.stringify({
  request_id: "bench",
  game_state: {
    game_id: "seed_12345",
    ante: 3,
    round: 2,
    chips: 300,
    mult: 4,
    money: 15,
    jokers: [{ name: "Blueprint", rarity: "rare", position: 0 }],
    hand: [
      { suit: "Hearts", rank: "K" },
      { suit: "Spades", rank: "K" },
      { suit: "Clubs", rank: "7" },
    ],
  },
  available_actions: ["play_hand", "discard", "buy_joker"],
  context: { recent_actions: ["discard"], current_score: 120, target_score: 300 },
});

/** The fake backend's answer (served by fake-upstream.mjs at POST /decide). */
export const DECISION_ANSWER = JSON.stringify({
  request_id: "bench",
  selected_action: "play_hand",
  confidence: 0.9,
  action_values: { play_hand: 0.9, discard: 0.05, buy_joker: 0.05 },
  used_llm: false,
  strategy_name: "fake_ppo",
});

/** The DECISION_BACKENDS binding for botplane in the bench runtime. */
export function decisionBackends(upstreamOrigin) {
  return JSON.stringify({ [DECISION_MODEL]: `${upstreamOrigin}/decide` });
}

/** The interleaved scenarios for run.mjs's plan. */
export function decisionPlan(origin, upstreamOrigin, token, durationMs) {
  const targets = (c) => [
    { label: `decision-healthz@${c}`, origin, method: "GET", path: "/healthz", check: "any" },
    {
      label: `decision-backend-direct@${c}`,
      origin: upstreamOrigin,
      path: "/decide",
      body: DECISION_BODY,
      check: "decision",
    },
    {
      label: `decision-botplane@${c}`,
      origin,
      path: `/api/v1/decisions?model_id=${DECISION_MODEL}`,
      body: DECISION_BODY,
      headers: { authorization: `Bearer ${token}` },
      check: "decision",
    },
  ];
  return [1, 10].map((c) => [
    `decisions@${c}`,
    origin,
    { kind: "chat-pair", connections: c, durationMs, sliceMs: SLICE_MS, quiet: true, targets: targets(c) },
  ]);
}

/** Headline figures per concurrency: p50/p95/p99 of each target and the overhead against the direct call. */
export function decisionFigures(scenarios) {
  const out = {};
  for (const c of [1, 10]) {
    const lat = (name) => scenarios[`${name}@${c}`]?.latency_ms ?? null;
    const pick = (l) => l && { p50: l.p50, p95: l.p95, p99: l.p99 };
    const through = lat("decision-botplane");
    const direct = lat("decision-backend-direct");
    const minus = (a, b) => (a != null && b != null ? Math.round((a - b) * 1000) / 1000 : null);
    out[`c${c}`] = {
      through_botplane: pick(through),
      backend_direct: pick(direct),
      healthz: pick(lat("decision-healthz")),
      overhead_p50: minus(through?.p50, direct?.p50),
      overhead_p95: minus(through?.p95, direct?.p95),
      target_p95_ms: TARGET_P95_MS,
      target_overhead_p95_ms: TARGET_OVERHEAD_P95_MS,
    };
  }
  return out;
}

/** Table rows (run.mjs's `row`): each target beside the backend called directly. */
export function decisionRows(row, r) {
  const fmt = (x) => (x == null ? "-" : (Math.round(x * 100) / 100).toFixed(2));
  const vs = (s, base) =>
    `p50 +${fmt(s.latency_ms.p50 - base.latency_ms.p50)}, p99 +${fmt(s.latency_ms.p99 - base.latency_ms.p99)} ms`;
  for (const c of [1, 10]) {
    const direct = r[`decision-backend-direct@${c}`];
    row(`decisions: healthz @${c} (same slices)`, r[`decision-healthz@${c}`], "rps");
    row(`decisions: backend direct @${c}`, direct, "rps");
    row(`decisions: via botplane @${c}`, r[`decision-botplane@${c}`], "rps", direct, `backend direct @${c}`, vs);
  }
}

/** Lines under the table: each figure beside its baseline and the seed's targets. */
export function decisionSummary(figures) {
  const out = [];
  for (const [key, f] of Object.entries(figures ?? {})) {
    if (!f.through_botplane || !f.backend_direct) continue;
    const t = f.through_botplane;
    out.push(
      `decisions ${key}: via botplane p50 ${t.p50} / p95 ${t.p95} / p99 ${t.p99} ms (target p95 < ${f.target_p95_ms}: ` +
        `${t.p95 < f.target_p95_ms ? "met" : "NOT met"}); backend direct p50 ${f.backend_direct.p50} / p95 ` +
        `${f.backend_direct.p95} ms; overhead p95 ${f.overhead_p95} ms (target < ${f.target_overhead_p95_ms}: ` +
        `${f.overhead_p95 != null && f.overhead_p95 < f.target_overhead_p95_ms ? "met" : "NOT met"}); healthz p50 ` +
        `${f.healthz?.p50} ms`,
    );
  }
  return out;
}
