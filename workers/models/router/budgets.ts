/**
 * Per-provider spending budgets (USD per UTC day / month), debited from recorded cost. Spend lives in D1
 * `provider_spend` (one row per provider and window, `day:2026-11-22` / `month:2026-11`) so every isolate
 * sees it; the request path only reads this isolate's copy, which is refreshed from D1 off the hot path (at
 * most every 10 s, from `defer`) with this isolate's own not-yet-written spend kept on top. A provider that
 * answers with a quota error is marked exhausted until its window ends, whatever the recorded spend says.
 *
 * Consistency bound: another isolate's spend is seen within ~10 s, so a busy provider may overshoot its
 * budget by what all isolates spend in that time.
 */
import { inArray, sql } from "drizzle-orm";
import { createDb } from "../../platform/db/client";
import { providerSpend } from "../../platform/db/schema";
import { createIsolateBuffer, summedMap } from "../../platform/isolate-buffer";
import { createLogger } from "../../platform/logger";
import type { Defer } from "../../platform/breaker/breaker";
import type { Usage } from "../types";
import type { AttemptPrices, ProviderBudget } from "./types";

export const SPEND_REFRESH_MS = 10_000;
const FLUSH_DELAY_MS = 250;

export type BudgetWindow = "day" | "month";

interface SpendEnv {
  DB: D1Database;
  LOG_LEVEL?: string | undefined;
}

/** provider + window key → USD spent: D1's value at the last refresh plus this isolate's spend since. */
const spent = new Map<string, number>();
/** This isolate's spend not yet written to D1 (`amount` is USD). */
const pending = summedMap<{ provider: string; window: string; amount: number }>();
const exhaustedUntil = new Map<string, { until: number; reason: string }>();
let lastRefreshAt = Number.NEGATIVE_INFINITY;
let refreshing = false;

const key = (provider: string, window: string) => `${provider}\u0000${window}`;

export function windowKey(window: BudgetWindow, now: number): string {
  const iso = new Date(now).toISOString();
  return window === "day" ? `day:${iso.slice(0, 10)}` : `month:${iso.slice(0, 7)}`;
}

/** When the window containing `now` ends (UTC). */
export function windowEnd(window: BudgetWindow, now: number): number {
  const d = new Date(now);
  return window === "day"
    ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)
    : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** USD for this usage at these prices; 0 without prices. */
export function costOf(usage: Partial<Usage>, prices: AttemptPrices | undefined): number {
  if (!prices) return 0;
  return (
    ((usage.input_tokens ?? 0) * prices.inputPerMillion + (usage.output_tokens ?? 0) * prices.outputPerMillion) /
    1_000_000
  );
}

export function spentIn(provider: string, window: BudgetWindow, now: number): number {
  return spent.get(key(provider, windowKey(window, now))) ?? 0;
}

function addLocal(provider: string, cost: number, now: number): void {
  for (const w of ["day", "month"] as const) {
    const k = key(provider, windowKey(w, now));
    spent.set(k, (spent.get(k) ?? 0) + cost);
  }
}

async function upsert(
  db: D1Database,
  rows: readonly { provider: string; window: string; cost: number }[],
  now: number,
): Promise<void> {
  if (rows.length === 0) return;
  await createDb(db)
    .insert(providerSpend)
    .values(rows.map((r) => ({ provider: r.provider, window: r.window, cost: r.cost, updatedAt: now })))
    .onConflictDoUpdate({
      target: [providerSpend.provider, providerSpend.window],
      set: { cost: sql`${providerSpend.cost} + excluded.cost`, updatedAt: sql`excluded.updated_at` },
    });
}

/** Debits `costUsd` from the provider's day and month windows in D1 now (and in this isolate's view). */
export async function recordCost(
  env: SpendEnv,
  provider: string,
  costUsd: number,
  now: number = Date.now(),
): Promise<void> {
  if (!(costUsd > 0)) return;
  const rows = (["day", "month"] as const).map((w) => ({ provider, window: windowKey(w, now), cost: costUsd }));
  await upsert(env.DB, rows, now);
  addLocal(provider, costUsd, now);
}

// A failed write keeps its spend for the next one: dropping it would under-count against the budget.
const spendBuffer = createIsolateBuffer<
  Map<string, { provider: string; window: string; amount: number }>,
  { env: SpendEnv; now: number }
>({
  store: pending,
  delayMs: FLUSH_DELAY_MS,
  onFailure: "put-back",
  send: (batch, { env, now }) =>
    upsert(
      env.DB,
      [...batch.values()].map((r) => ({ provider: r.provider, window: r.window, cost: r.amount })),
      now,
    ),
  onError: (err, { env }) =>
    createLogger("model_router", env.LOG_LEVEL).warn("provider spend not recorded; kept for the next write", {
      error: err instanceof Error ? err.message : String(err),
    }),
});

/** The hot path's debit: counted here at once, written to D1 in one batch shortly after, from `defer`. */
export function chargeCost(env: SpendEnv, provider: string, costUsd: number, now: number, defer: Defer): void {
  if (!(costUsd > 0)) return;
  addLocal(provider, costUsd, now);
  for (const w of ["day", "month"] as const) {
    const window = windowKey(w, now);
    pending.add(key(provider, window), costUsd, () => ({ provider, window, amount: 0 }));
  }
  spendBuffer.schedule({ env, now }, defer);
}

/** Replaces this isolate's view of the current windows' spend with D1's, plus spend not yet written. */
export async function refreshSpend(env: SpendEnv, now: number = Date.now()): Promise<void> {
  lastRefreshAt = now;
  const windows = [windowKey("day", now), windowKey("month", now)];
  const rows = await createDb(env.DB).select().from(providerSpend).where(inArray(providerSpend.window, windows));
  spent.clear();
  for (const r of rows) spent.set(key(r.provider, r.window), r.cost);
  for (const [k, row] of pending.entries()) spent.set(k, (spent.get(k) ?? 0) + row.amount);
}

/** Starts a refresh from `defer` when the view is older than SPEND_REFRESH_MS; never waits for it. */
export function maybeRefreshSpend(env: SpendEnv, defer: Defer, now: number): void {
  if (refreshing || now - lastRefreshAt < SPEND_REFRESH_MS) return;
  refreshing = true;
  lastRefreshAt = now;
  defer(
    refreshSpend(env, now)
      .catch((err: unknown) =>
        createLogger("model_router", env.LOG_LEVEL).warn("provider spend refresh failed", {
          error: err instanceof Error ? err.message : String(err),
        }),
      )
      .finally(() => {
        refreshing = false;
      }),
  );
}

/** A quota error: skip the provider until its narrowest budget window ends (the UTC day when it has none). */
export function markExhausted(
  provider: string,
  budget: ProviderBudget | undefined,
  now: number,
  reason: string,
): number {
  const window: BudgetWindow = budget?.monthlyUsd !== undefined && budget.dailyUsd === undefined ? "month" : "day";
  const until = windowEnd(window, now);
  exhaustedUntil.set(provider, { until, reason });
  return until;
}

/** Why the provider must be skipped now for budget reasons, or null. No I/O. */
export function exhaustedReason(provider: string, budget: ProviderBudget | undefined, now: number): string | null {
  const mark = exhaustedUntil.get(provider);
  if (mark && now < mark.until) return `quota exhausted until ${new Date(mark.until).toISOString()}: ${mark.reason}`;
  if (budget?.dailyUsd !== undefined && spentIn(provider, "day", now) >= budget.dailyUsd)
    return `daily budget of $${budget.dailyUsd} spent`;
  if (budget?.monthlyUsd !== undefined && spentIn(provider, "month", now) >= budget.monthlyUsd)
    return `monthly budget of $${budget.monthlyUsd} spent`;
  return null;
}

export function isExhausted(provider: string, budget: ProviderBudget | undefined, now: number = Date.now()): boolean {
  return exhaustedReason(provider, budget, now) !== null;
}

export interface BudgetSnapshot {
  day?: { window: string; limit_usd: number; spent_usd: number; remaining_usd: number } | undefined;
  month?: { window: string; limit_usd: number; spent_usd: number; remaining_usd: number } | undefined;
  exhausted_until?: string | undefined;
}

export function budgetSnapshot(
  provider: string,
  budget: ProviderBudget | undefined,
  now: number = Date.now(),
): BudgetSnapshot {
  const out: BudgetSnapshot = {};
  const part = (w: BudgetWindow, limit: number) => {
    const spentUsd = spentIn(provider, w, now);
    return {
      window: windowKey(w, now),
      limit_usd: limit,
      spent_usd: spentUsd,
      remaining_usd: Math.max(0, limit - spentUsd),
    };
  };
  if (budget?.dailyUsd !== undefined) out.day = part("day", budget.dailyUsd);
  if (budget?.monthlyUsd !== undefined) out.month = part("month", budget.monthlyUsd);
  const mark = exhaustedUntil.get(provider);
  if (mark && now < mark.until) out.exhausted_until = new Date(mark.until).toISOString();
  return out;
}

/** Test-only: forgets this isolate's spend view, unwritten spend and quota marks, as a fresh isolate would start. */
export function resetBudgetCache(): void {
  spent.clear();
  spendBuffer.reset();
  exhaustedUntil.clear();
  lastRefreshAt = Number.NEGATIVE_INFINITY;
  refreshing = false;
}
