/**
 * Shared by the JimBot service tests: a gateway config whose `strategy` function is one fake model (its name
 * picks the fake's behaviour), game situations, and reading bus events back from history.
 */
import { env } from "cloudflare:workers";
import type { ExpectStatic } from "vitest";
import { ADMIN, call, json, token } from "./helpers";

const FAKE = env.TEST_FAKE_UPSTREAMS_URL;

/** Points the `strategy` JSON function at one fake OpenAI model, with the bundled output schema. */
export async function useStrategyModel(model: string): Promise<void> {
  const toml = `
[providers.fake_openai]
type = "openai"
url = "${FAKE}/openai/v1"
api_key = "sk-test"

[functions.strategy]
type = "json"
output_schema = { type = "object", required = ["strategy_name", "recommended_action", "reasoning", "confidence"], properties = { strategy_name = { type = "string" }, recommended_action = { type = "string" }, reasoning = { type = "string" }, confidence = { type = "number" } } }

[functions.strategy.variants.only]
provider = "fake_openai"
model = "${model}"
`;
  const res = await call("/api/v1/models/config", {
    method: "PUT",
    token: await ADMIN(),
    body: toml,
    headers: { "content-type": "text/plain" },
  });
  if (res.status !== 200) throw new Error(`config: ${res.status} ${await res.text()}`);
}

/** Sets the advisor's token bucket (key `claude_advisor`) through the seed's UpdateRateLimits route. */
export async function setAdvisorLimit(capacity: number, burst: number): Promise<void> {
  const res = await call("/api/v1/config/rate_limits", {
    method: "PUT",
    token: await ADMIN(),
    body: { limits: [{ key: "claude_advisor", capacity, refill_rate: "1/day", burst_capacity: burst }] },
  });
  if (res.status !== 200) throw new Error(`rate limits: ${res.status} ${await res.text()}`);
}

/** A game situation unique to `n`, so each test has its own cache fingerprint. */
export function situation(n: number, extra: Record<string, unknown> = {}) {
  return {
    game_state: {
      game_id: `seed_${n}`,
      ante: 3,
      round: n,
      chips: 300,
      mult: 4,
      money: 15,
      jokers: [{ name: "Blueprint", rarity: "rare", position: 0 }],
      hand: [{ suit: "Hearts", rank: "K" }],
    },
    available_actions: ["play_hand", "discard"],
    ...extra,
  };
}

export interface HistoryEvent {
  event_id: string;
  correlation_id: string;
  type: string;
  source: string;
  metadata: Record<string, string>;
  payload: Record<string, unknown>;
}

/** Polls history for the events of `subject` that `pick` selects until there are `count`, and returns them. */
export async function eventsOf(
  expect: ExpectStatic,
  subject: string,
  pick: (e: HistoryEvent) => boolean,
  count = 1,
): Promise<HistoryEvent[]> {
  const read = await token(["events:read"]);
  const matching = async () => {
    const res = await call(`/api/v1/events?subject=${subject}&limit=1000`, { token: read });
    if (res.status !== 200) throw new Error(`history: ${res.status} ${await res.text()}`);
    return (await json<{ events: HistoryEvent[] }>(res)).events.filter(pick);
  };
  await expect.poll(async () => (await matching()).length, { timeout: 10_000 }).toBe(count);
  return matching();
}
