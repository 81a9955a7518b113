/**
 * The resource coordinator's settings: capacities per resource type (MEMORY_MB from seed 002's 32 GB
 * memory plan), how long a request may wait in the HTTP call (seed `RESOURCE_REQUEST_TIMEOUT=5s`), how fast
 * waiting requests age, and how long a request may wait in the queue at all. Parsed, with every other var,
 * by platform/config.ts: a bad var takes its default and shows on /health.
 */
import { type ConfigVars, readConfig, type ResourceSettings } from "../platform/config";

export type { ResourceSettings };

/** The vars read here; `Env` fits it. */
export type ResourceVars = Pick<
  ConfigVars,
  | "RESOURCE_CAPACITY_GPU_COMPUTE"
  | "RESOURCE_CAPACITY_MEMORY_MB"
  | "RESOURCE_CAPACITY_CLAUDE_API_TOKENS"
  | "RESOURCE_REQUEST_TIMEOUT"
  | "RESOURCE_AGING_MS"
  | "RESOURCE_MAX_WAIT"
>;

export function readResourceSettings(vars: ResourceVars): ResourceSettings {
  return readConfig(vars).resources;
}
