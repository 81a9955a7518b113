/**
 * `GET /v1/stats` and the BoTZ gauges on `/metrics`, compared with exact figures. This file has storage of its
 * own (one registry, one set of metric shards), so every instance, work item and claim counted here is one this
 * file made: the whole answer is known, and a miscount of one fails.
 */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, it } from "vitest";
import { flushNow } from "../../workers/platform/metrics/recorder";
import { ADMIN, call, createItems, json, registerBot, token, type Skill } from "./helpers";
import { stopClock } from "./support/clock";

const stub = () => env.BOTZ_REGISTRY.getByName("default");

/**
 * The registry's clock stands still at `at`, a day ahead of real time: every alarm it sets lies a day out and
 * never fires by itself, so nothing moves between the steps below unless the test says so.
 */
const T0 = Date.now() + 24 * 3600_000;
const HOUR = 3600_000;

const clockAt = (at: number) => stopClock(stub(), at);

async function heartbeat(auth: string, botzId: string, status: string): Promise<void> {
  const res = await call("/v1/botz/heartbeat", { token: auth, body: { botz_id: botzId, status } });
  if (res.status !== 200) throw new Error(`heartbeat: ${res.status} ${await res.text()}`);
}

async function claim(auth: string, botzId: string, workItemId: string): Promise<Response> {
  return call("/v1/workitems/claim", { token: auth, body: { botz_id: botzId, work_item_id: workItemId } });
}

async function claimOk(auth: string, botzId: string, workItemId: string): Promise<number> {
  const res = await claim(auth, botzId, workItemId);
  if (res.status !== 200) throw new Error(`claim: ${res.status} ${await res.text()}`);
  return (await json<{ fencing_token: number }>(res)).fencing_token;
}

async function complete(
  auth: string,
  body: { work_item_id: string; botz_id: string; fencing_token: number; status: string; error?: string },
): Promise<void> {
  const res = await call("/v1/workitems/complete", { token: auth, body });
  if (res.status !== 200) throw new Error(`complete: ${res.status} ${await res.text()}`);
}

/** The samples of the named families, keyed `name{label="value",…}` with labels sorted. */
function samplesOf(text: string, families: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m?.[1] || !m[3] || !families.includes(m[1])) continue;
    const labels = [...(m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)]
      .map(([, k, v]) => `${k ?? ""}="${v ?? ""}"`)
      .sort();
    out[labels.length > 0 ? `${m[1]}{${labels.join(",")}}` : m[1]] = Number(m[3]);
  }
  return out;
}

async function scrape(): Promise<string> {
  const res = await call("/metrics", { token: await token(["metrics:read"]) });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

interface Stats {
  instances: { total: number; by_status: Record<string, number>; by_skill_level: Record<string, number> };
  instances_by_status_and_skill: { status: string; skill_level: string; count: number }[];
  work_items: { total: number; by_status: Record<string, number> };
  claims_last_hour: number;
  mean_claim_to_complete_seconds: number | null;
  generated_at: string;
}

const pairOrder = (a: { status: string; skill_level: string }, b: { status: string; skill_level: string }) =>
  `${a.status}/${a.skill_level}`.localeCompare(`${b.status}/${b.skill_level}`);

describe("GET /v1/stats and the BoTZ gauges", () => {
  afterEach(async () => {
    await stopClock(stub(), null);
  });

  it("should answer zeros and a null mean for an empty registry", async ({ expect }) => {
    await clockAt(T0 - 3 * HOUR);
    const stats = await json<Stats>(await call("/v1/stats", { token: await ADMIN() }));
    expect(stats).toEqual({
      instances: { total: 0, by_status: {}, by_skill_level: {} },
      instances_by_status_and_skill: [],
      work_items: { total: 0, by_status: {} },
      claims_last_hour: 0,
      mean_claim_to_complete_seconds: null,
      generated_at: new Date(T0 - 3 * HOUR).toISOString(),
    });
    // Every work item status is a gauge even at zero; no mean is exposed before a completion.
    expect(
      samplesOf(await scrape(), [
        "botz_instances",
        "botz_work_items",
        "botz_claims_last_hour",
        "botz_claim_to_complete_seconds_mean",
      ]),
    ).toEqual({
      'botz_work_items{status="pending"}': 0,
      'botz_work_items{status="claimed"}': 0,
      'botz_work_items{status="completed"}': 0,
      'botz_work_items{status="failed"}': 0,
      botz_claims_last_hour: 0,
    });
  });

  it("should count a known fleet and its work exactly, the same in /v1/stats and /metrics", async ({ expect }) => {
    const auth = await ADMIN();
    const register = (skill: Skill) => registerBot(skill, auth);

    // Two hours back: a bot that claims, completes in 9 s, then falls silent (stale), its claim outside the hour.
    await clockAt(T0 - 2 * HOUR);
    const old = await register("mcp_augmented");
    const [i0] = (await createItems(auth, [{}])) as [string];
    const oldToken = await claimOk(auth, old, i0);
    await clockAt(T0 - 2 * HOUR + 9_000);
    await complete(auth, { work_item_id: i0, botz_id: old, fencing_token: oldToken, status: "completed" });

    await clockAt(T0);
    const [basic, busy, tac, idle] = [
      await register("basic"),
      await register("basic"),
      await register("tac_enabled"),
      await register("agentic"),
    ];
    await heartbeat(auth, busy, "busy");
    await heartbeat(auth, idle, "idle");
    const [i1, i2, i3, i4] = (await createItems(auth, [{}, {}, {}, {}, {}, {}])) as [string, string, string, string];
    const t1 = await claimOk(auth, tac, i1);
    const t2 = await claimOk(auth, idle, i2);
    const t3 = await claimOk(auth, busy, i3);
    await claimOk(auth, basic, i4);
    // Refused: counted by outcome on the counter, never as a claim.
    expect((await claim(auth, tac, i4)).status).toBe(409);

    await clockAt(T0 + 1_000);
    await complete(auth, { work_item_id: i2, botz_id: idle, fencing_token: t2, status: "completed" });
    await complete(auth, { work_item_id: i3, botz_id: busy, fencing_token: t3, status: "failed", error: "boom" });
    await clockAt(T0 + 2_000);
    await complete(auth, { work_item_id: i1, botz_id: tac, fencing_token: t1, status: "completed" });
    // The alarm's sweep marks the bot silent since T0 - 2 h + 9 s stale (threshold 5 min).
    expect(await runDurableObjectAlarm(stub())).toBe(true);

    const stats = await json<Stats>(await call("/v1/stats", { token: auth }));
    expect({
      ...stats,
      instances_by_status_and_skill: [...stats.instances_by_status_and_skill].sort(pairOrder),
    }).toEqual({
      instances: {
        total: 5,
        by_status: { active: 2, busy: 1, idle: 1, stale: 1 },
        by_skill_level: { basic: 2, tac_enabled: 1, mcp_augmented: 1, agentic: 1 },
      },
      instances_by_status_and_skill: [
        { status: "active", skill_level: "basic", count: 1 },
        { status: "active", skill_level: "tac_enabled", count: 1 },
        { status: "busy", skill_level: "basic", count: 1 },
        { status: "idle", skill_level: "agentic", count: 1 },
        { status: "stale", skill_level: "mcp_augmented", count: 1 },
      ],
      work_items: { total: 7, by_status: { pending: 2, claimed: 1, completed: 3, failed: 1 } },
      // i1–i4 at T0; i0's claim is two hours old.
      claims_last_hour: 4,
      // (9 s + 1 s + 2 s) / 3 completed claims; the failed one is not a completion.
      mean_claim_to_complete_seconds: 4,
      generated_at: new Date(T0 + 2_000).toISOString(),
    });

    expect(
      samplesOf(await scrape(), [
        "botz_instances",
        "botz_work_items",
        "botz_claims_last_hour",
        "botz_claim_to_complete_seconds_mean",
      ]),
    ).toEqual({
      'botz_instances{skill_level="basic",status="active"}': 1,
      'botz_instances{skill_level="tac_enabled",status="active"}': 1,
      'botz_instances{skill_level="basic",status="busy"}': 1,
      'botz_instances{skill_level="agentic",status="idle"}': 1,
      'botz_instances{skill_level="mcp_augmented",status="stale"}': 1,
      'botz_work_items{status="pending"}': 2,
      'botz_work_items{status="claimed"}': 1,
      'botz_work_items{status="completed"}': 3,
      'botz_work_items{status="failed"}': 1,
      botz_claims_last_hour: 4,
      botz_claim_to_complete_seconds_mean: 4,
    });

    // The claim counter is flushed from the isolate to the metric shards: poll until it lands.
    await flushNow(env);
    await expect
      .poll(async () => samplesOf(await scrape(), ["botz_workitem_claims_total"]), { timeout: 5_000 })
      .toEqual({
        'botz_workitem_claims_total{outcome="claimed"}': 5,
        'botz_workitem_claims_total{outcome="already_claimed"}': 1,
      });
  });
});
