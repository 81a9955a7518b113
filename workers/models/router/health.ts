/**
 * Provider health as the router sees it: the misconfigured cooldown (a 401/403 means the credentials are
 * wrong; retrying them on every request only adds latency), and one snapshot combining it with budgets and
 * the circuit breaker for `/health`. Cooldowns are per isolate: each isolate pays one failed call to learn.
 */
import { breaker, type BreakerEnv } from "../../platform/breaker/breaker";
import { budgetSnapshot, exhaustedReason, type BudgetSnapshot } from "./budgets";
import type { ProviderBudget } from "./types";

export const MISCONFIGURED_COOLDOWN_MS = 10 * 60_000;
export const PROVIDER_STATES = ["ok", "misconfigured", "exhausted", "breaker_open"] as const;
export type ProviderState = (typeof PROVIDER_STATES)[number];

const misconfigured = new Map<string, { until: number; reason: string }>();
/** Each provider's latest failed try in this isolate, so a breaker-open skip can still say what went wrong. */
const lastFailures = new Map<string, string>();

export function breakerComponent(provider: string): string {
  return `model.provider.${provider}`;
}

export function noteFailure(provider: string, message: string): void {
  lastFailures.set(provider, message);
}

export function noteSuccess(provider: string): void {
  lastFailures.delete(provider);
}

/** `circuit breaker open`, with the last failure this isolate saw when it knows one. */
export function breakerOpenReason(provider: string): string {
  const last = lastFailures.get(provider);
  return last === undefined ? "circuit breaker open" : `circuit breaker open (last failure: ${last})`;
}

export function markMisconfigured(provider: string, reason: string, now: number): void {
  misconfigured.set(provider, { until: now + MISCONFIGURED_COOLDOWN_MS, reason });
}

export function misconfiguredReason(provider: string, now: number): string | null {
  const mark = misconfigured.get(provider);
  if (!mark) return null;
  if (now >= mark.until) {
    misconfigured.delete(provider);
    return null;
  }
  return `misconfigured until ${new Date(mark.until).toISOString()}: ${mark.reason}`;
}

/** Why a provider must be skipped now (cooldown or budget), or null. No I/O: called per attempt. */
export function skipReason(provider: string, budget: ProviderBudget | undefined, now: number): string | null {
  return misconfiguredReason(provider, now) ?? exhaustedReason(provider, budget, now);
}

export interface ProviderInfo {
  name: string;
  budget?: ProviderBudget | undefined;
}

export interface ProviderHealth {
  provider: string;
  state: ProviderState;
  reason?: string | undefined;
  breaker: string;
  budget: BudgetSnapshot;
}

const noDefer = () => undefined;

/** The state of each provider as this isolate sees it; the first that applies of misconfigured, exhausted, breaker open. */
export function providerHealth(
  providers: readonly ProviderInfo[],
  env: BreakerEnv,
  now: number = Date.now(),
): ProviderHealth[] {
  return providers.map(({ name, budget }) => {
    const breakerState = breaker(env, breakerComponent(name), noDefer).state(now);
    const bad = misconfiguredReason(name, now);
    const spent = exhaustedReason(name, budget, now);
    const base = { provider: name, breaker: breakerState, budget: budgetSnapshot(name, budget, now) };
    if (bad) return { ...base, state: "misconfigured", reason: bad };
    if (spent) return { ...base, state: "exhausted", reason: spent };
    if (breakerState === "open") return { ...base, state: "breaker_open", reason: breakerOpenReason(name) };
    return { ...base, state: "ok" };
  });
}

/** Test-only: forgets the cooldowns. */
export function resetProviderHealth(): void {
  misconfigured.clear();
  lastFailures.clear();
}
