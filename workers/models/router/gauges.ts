/**
 * `/metrics` gauges for model providers: `botplane_provider_budget_remaining_usd{provider,window}` and
 * `botplane_provider_state{provider,state}`. Scrapes are off the request path, so spend is read fresh from
 * D1 and breaker states from the BreakerBoard (every isolate's view); the misconfigured cooldown and quota
 * marks are the answering isolate's own.
 */
import { breakerBoard } from "../../platform/breaker/board";
import type { Env } from "../../platform/env";
import { providerBudgetRemaining, providerState } from "../../platform/metrics/catalog";
import type { GaugeSample } from "../../platform/metrics/exposition";
import type { GaugeCollector } from "../../platform/metrics/routes";
import { budgetSnapshot, exhaustedReason, refreshSpend } from "./budgets";
import {
  breakerComponent,
  misconfiguredReason,
  PROVIDER_STATES,
  type ProviderInfo,
  type ProviderState,
} from "./health";

/** `providersOf` lists the configured providers and their budgets (the lead's config loader). */
export function providerGauges(
  providersOf: (env: Env) => readonly ProviderInfo[] | Promise<readonly ProviderInfo[]>,
): GaugeCollector {
  return async (env) => {
    const now = Date.now();
    const [providers, states] = await Promise.all([
      providersOf(env),
      breakerBoard(env).states(),
      refreshSpend(env, now),
    ]);
    const open = new Set(states.filter((s) => s.state === "open").map((s) => s.component));
    const samples: GaugeSample[] = [];
    for (const { name, budget } of providers) {
      const snap = budgetSnapshot(name, budget, now);
      for (const [window, part] of [
        ["day", snap.day],
        ["month", snap.month],
      ] as const) {
        if (part)
          samples.push({
            family: providerBudgetRemaining,
            labels: { provider: name, window },
            value: part.remaining_usd,
          });
      }
      let state: ProviderState = "ok";
      if (misconfiguredReason(name, now)) state = "misconfigured";
      else if (exhaustedReason(name, budget, now)) state = "exhausted";
      else if (open.has(breakerComponent(name))) state = "breaker_open";
      for (const s of PROVIDER_STATES)
        samples.push({ family: providerState, labels: { provider: name, state: s }, value: s === state ? 1 : 0 });
    }
    return samples;
  };
}
