/**
 * `botplane_circuit_breaker_state{component,state}` for `/metrics`: per component known to the BreakerBoard,
 * 1 on its current state's series and 0 on the other two, so dashboards can sum or alert on `state="open"`.
 */
import type { Env } from "../env";
import { breakerState } from "../metrics/catalog";
import type { GaugeSample } from "../metrics/exposition";
import { breakerBoard } from "./board";
import { BREAKER_STATES } from "./state-machine";

export async function breakerGauges(env: Env): Promise<GaugeSample[]> {
  const states = await breakerBoard(env).states();
  return states.flatMap(({ component, state }) =>
    BREAKER_STATES.map((s) => ({ family: breakerState, labels: { component, state: s }, value: s === state ? 1 : 0 })),
  );
}
