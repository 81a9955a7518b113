/**
 * Every metric family botplane exports, with its type and help text. Seed names are kept; a seed counter
 * without `_total` gets the suffix (Prometheus and promtool require it).
 */
export type MetricType = "counter" | "gauge" | "histogram";

export interface MetricFamily {
  name: string;
  type: MetricType;
  help: string;
  buckets?: readonly number[];
}

/** Prometheus' default buckets: request latencies here range from sub-millisecond to seconds. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export const requestDuration: MetricFamily = {
  name: "jimbot_request_duration_seconds",
  type: "histogram",
  help: "HTTP request duration by service, method (route) and status",
  buckets: LATENCY_BUCKETS,
};

export const busMessages: MetricFamily = {
  name: "jimbot_event_bus_messages_total",
  type: "counter",
  help: "Bus messages by source, destination and event type",
};

export const botzClaims: MetricFamily = {
  name: "botz_workitem_claims_total",
  type: "counter",
  help: "Work item claim attempts by outcome",
};

export const botzInstances: MetricFamily = {
  name: "botz_instances",
  type: "gauge",
  help: "Registered BoTZ instances by status and skill level",
};

export const botzWorkItems: MetricFamily = {
  name: "botz_work_items",
  type: "gauge",
  help: "Work items by status",
};

export const botzClaimsLastHour: MetricFamily = {
  name: "botz_claims_last_hour",
  type: "gauge",
  help: "Work items claimed in the last hour",
};

export const botzClaimToComplete: MetricFamily = {
  name: "botz_claim_to_complete_seconds_mean",
  type: "gauge",
  help: "Mean time from claim to completion over completed claims",
};

export const resourceUsage: MetricFamily = {
  name: "jimbot_resource_usage_ratio",
  type: "gauge",
  help: "Granted share of each resource's capacity, by resource type and component",
};

export const errorRate: MetricFamily = {
  name: "jimbot_error_rate_total",
  type: "counter",
  help: "Errors by component, severity and error type (seed 002's jimbot_error_rate)",
};

export const breakerState: MetricFamily = {
  name: "botplane_circuit_breaker_state",
  type: "gauge",
  help: "Circuit breaker state per component: 1 on the current state's series, 0 on the others",
};

export const rateLimited: MetricFamily = {
  name: "botplane_rate_limited_total",
  type: "counter",
  help: "Requests refused by a rate limit, by limit name",
};

export const inferences: MetricFamily = {
  name: "botplane_inferences_total",
  type: "counter",
  help: "Model gateway attempts by function, variant, provider and status (ok, a failure kind, or skipped)",
};

export const inferenceFallbackDepth: MetricFamily = {
  name: "botplane_inference_fallback_depth",
  type: "histogram",
  help: "Position of the attempt that served an inference in its plan (0 = first choice)",
  buckets: [0, 1, 2, 3, 4, 5, 7, 10],
};

export const providerLatency: MetricFamily = {
  name: "botplane_provider_latency_seconds",
  type: "histogram",
  help: "Model provider response time of successful calls (streams: until the end of the stream)",
  buckets: LATENCY_BUCKETS,
};

export const providerTtft: MetricFamily = {
  name: "botplane_provider_ttft_seconds",
  type: "histogram",
  help: "Model provider time to first streamed token",
  buckets: LATENCY_BUCKETS,
};

export const providerBudgetRemaining: MetricFamily = {
  name: "botplane_provider_budget_remaining_usd",
  type: "gauge",
  help: "Model provider budget left in the current window (day or month, UTC)",
};

export const providerState: MetricFamily = {
  name: "botplane_provider_state",
  type: "gauge",
  help: "Model provider state: 1 on the current state's series (ok, misconfigured, exhausted, breaker_open), 0 on the others",
};

export const edgeDevicesGauge: MetricFamily = {
  name: "edge_devices",
  type: "gauge",
  help: "Known edge devices by status (online, offline), from the device directory",
};

export const edgeCpuTemperature: MetricFamily = {
  name: "edge_device_cpu_temperature_celsius",
  type: "gauge",
  help: "An edge device's CPU temperature in its latest telemetry reading",
};

export const edgeOverTemperature: MetricFamily = {
  name: "edge_device_over_temperature",
  type: "gauge",
  help: "1 while an edge device's over-temperature alert is raised, else 0",
};

export const edgeLastSeen: MetricFamily = {
  name: "edge_device_last_seen_seconds",
  type: "gauge",
  help: "Unix time an edge device was last seen by its hub, as of its last directory update",
};

export const strategyAnswers: MetricFamily = {
  name: "jimbot_strategy_answers_total",
  type: "counter",
  help: "Strategy advisor answers by source (model, cache, none), status (answered, refused) and refusal reason",
};

export const decisionOutcomes: MetricFamily = {
  name: "jimbot_decisions_total",
  type: "counter",
  help: "Decisions by model and outcome (backend, or fallback_<why>: deadline, breaker_open, backend_error, no_backend)",
};

export const chainbotWorkflowsGauge: MetricFamily = {
  name: "chainbot_workflows",
  type: "gauge",
  help: "ChainBot workflow definitions (not deleted)",
};

export const chainbotExecutionsGauge: MetricFamily = {
  name: "chainbot_executions",
  type: "gauge",
  help: "ChainBot executions by status, from the execution index",
};

export const chainbotAgentsGauge: MetricFamily = {
  name: "chainbot_agents",
  type: "gauge",
  help: "ChainBot agents by status (idle, working, terminated), from the agent registry",
};

export const FAMILIES: readonly MetricFamily[] = [
  requestDuration,
  busMessages,
  botzClaims,
  botzInstances,
  botzWorkItems,
  botzClaimsLastHour,
  botzClaimToComplete,
  resourceUsage,
  errorRate,
  breakerState,
  rateLimited,
  inferences,
  inferenceFallbackDepth,
  providerLatency,
  providerTtft,
  providerBudgetRemaining,
  providerState,
  edgeDevicesGauge,
  edgeCpuTemperature,
  edgeOverTemperature,
  edgeLastSeen,
  strategyAnswers,
  decisionOutcomes,
  chainbotWorkflowsGauge,
  chainbotExecutionsGauge,
  chainbotAgentsGauge,
];
