/**
 * The model router's public surface: execute a planned list of attempts (chat, streaming chat, embeddings)
 * with local-first fallback, and read provider health, budgets and gauges for /health and /metrics.
 */
export { executeChat, executeEmbed, mergeParams, type ChatInput, type EmbedInput } from "./execute";
export { executeChatStream } from "./stream";
export { DEFAULT_DEADLINE_MS } from "./loop";
export { AllAttemptsFailed, allAttemptsFailedError, InferenceRejected, publicAttempts } from "./errors";
export {
  costOf,
  recordCost,
  chargeCost,
  refreshSpend,
  isExhausted,
  markExhausted,
  budgetSnapshot,
  windowKey,
  windowEnd,
  type BudgetSnapshot,
} from "./budgets";
export {
  providerHealth,
  markMisconfigured,
  breakerComponent,
  MISCONFIGURED_COOLDOWN_MS,
  type ProviderHealth,
  type ProviderInfo,
  type ProviderState,
} from "./health";
export { providerGauges } from "./gauges";
export type * from "./types";
