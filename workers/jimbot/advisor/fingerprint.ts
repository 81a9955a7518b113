/**
 * The strategy cache key: a SHA-256 over what makes two game situations call for the same advice — ante,
 * round, economy, hands and discards left, jokers in slot order, the hand as a multiset, shop, the actions on
 * offer and the question. The game id, deck order and score history are left out: the same situation in
 * another run is the same question.
 */
import { sha256Hex } from "../../platform/sha256";
import type { GameState } from "./game-state";

export interface Situation {
  game_state: GameState;
  available_actions?: string[] | undefined;
  question?: string | undefined;
}

function card(c: { suit?: string | undefined; rank?: string | undefined; enhancement?: string | undefined }): string {
  return [c.rank ?? "", c.suit ?? "", c.enhancement ?? ""].join("/");
}

/** The canonical form the fingerprint hashes (also what the cache lists as the situation). */
export function situationKey(s: Situation): Record<string, unknown> {
  const g = s.game_state;
  const jokers = [...(g.jokers ?? [])]
    .map((j, i) => ({ name: j.name ?? "", position: j.position ?? i }))
    .sort((a, b) => a.position - b.position)
    .map((j) => j.name);
  return {
    ante: g.ante ?? null,
    round: g.round ?? null,
    chips: g.chips ?? null,
    mult: g.mult ?? null,
    money: g.money ?? null,
    hands_remaining: g.hands_remaining ?? null,
    discards_remaining: g.discards_remaining ?? null,
    jokers,
    hand: (g.hand ?? []).map(card).sort(),
    shop: Object.keys(g.shop_items ?? {}).sort(),
    actions: [...(s.available_actions ?? [])].sort(),
    question: s.question ?? "",
  };
}

export async function fingerprint(s: Situation): Promise<string> {
  return sha256Hex(JSON.stringify(situationKey(s)));
}
