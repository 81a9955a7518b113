/**
 * Every runtime var, parsed in one place with one policy: a var that is absent or blank takes its documented
 * default; a var that is set but invalid also takes its default, and is listed in `problems` (name, value,
 * why, the default in force), logged once per isolate and shown by the `config` check on /health. Reading
 * config never throws, so a bad var can never turn a request into a 500. Parsed once per env object: vars
 * do not change while an isolate lives.
 */
import { breakerConfigProblem } from "./breaker/policy";
import { createLogger, type LogLevel } from "./logger";
import {
  type ConfigProblem,
  logProblemsOnce,
  type Parsed,
  parseDurationMs,
  parsePositiveInt,
  readVar,
} from "./var-parsers";

export type { ConfigProblem };

/** The vars read here, all optional strings; `Env` fits it. */
export interface ConfigVars {
  BOTZ_HEARTBEAT_INTERVAL?: string | undefined;
  BOTZ_STALE_THRESHOLD?: string | undefined;
  BOTZ_CLAIM_LEASE_SECONDS?: string | undefined;
  BOTZ_MAX_CLAIM_ATTEMPTS?: string | undefined;
  RESOURCE_CAPACITY_GPU_COMPUTE?: string | undefined;
  RESOURCE_CAPACITY_MEMORY_MB?: string | undefined;
  RESOURCE_CAPACITY_CLAUDE_API_TOKENS?: string | undefined;
  RESOURCE_REQUEST_TIMEOUT?: string | undefined;
  RESOURCE_AGING_MS?: string | undefined;
  RESOURCE_MAX_WAIT?: string | undefined;
  EVENT_RETENTION_DAYS?: string | undefined;
  EVENT_BUS_PARTITIONS?: string | undefined;
  BUS_REDELIVERY_AFTER?: string | undefined;
  CIRCUIT_BREAKER_OVERRIDES?: string | undefined;
  LOG_LEVEL?: string | undefined;
  COMPONENT_NAME?: string | undefined;
  COMPONENT_VERSION?: string | undefined;
  EDGE_TEMP_ALERT_CELSIUS?: string | undefined;
  EDGE_TEMP_CLEAR_CELSIUS?: string | undefined;
  EDGE_OFFLINE_AFTER?: string | undefined;
}

export interface BotzSettings {
  heartbeatIntervalS: number;
  staleThresholdMs: number;
  leaseMs: number;
  maxClaimAttempts: number;
}

export interface ResourceSettings {
  capacities: { GPU_COMPUTE: number; MEMORY_MB: number; CLAUDE_API_TOKENS: number };
  /** Longest an HTTP caller waits before it gets 202 and a request id (0: never wait). */
  requestTimeoutMs: number;
  /** A waiting request's effective priority rises one level per this much waiting. */
  agingMs: number;
  /** A request still waiting this long after it was made expires, so the queue cannot fill with orphans. */
  maxWaitMs: number;
}

export interface EdgeSettings {
  /** A reading at or above this raises the over-temperature alert (once per crossing). */
  tempAlertC: number;
  /** A reading below this clears it; always below `tempAlertC`, so the two make a hysteresis band. */
  tempClearC: number;
  /** A device neither heard on its socket nor polling for this long is offline. */
  offlineAfterMs: number;
}

export interface Config {
  botz: BotzSettings;
  edge: EdgeSettings;
  resources: ResourceSettings;
  /** How long the bus keeps events, handler-ledger rows and the live log. */
  retentionMs: number;
  /** How many objects the live stream is sharded into. */
  eventBusPartitions: number;
  /** An event not confirmed delivered this long after it was accepted is sent again. */
  busRedeliveryAfterMs: number;
  logLevel: LogLevel;
  componentName: string;
  componentVersion: string;
  problems: ConfigProblem[];
}

type VarName = keyof ConfigVars;
const DAY_MS = 24 * 3600_000;
const LEVELS: Record<string, LogLevel> = {
  DEBUG: "DEBUG",
  INFO: "INFO",
  WARN: "WARN",
  WARNING: "WARN",
  ERROR: "ERROR",
};

function parseLevel(text: string): Parsed<LogLevel> {
  const level = LEVELS[text.trim().toUpperCase()];
  return level
    ? { ok: true, value: level }
    : { ok: false, message: `"${text}" is not one of DEBUG, INFO, WARN, ERROR` };
}

/** Degrees Celsius, as a plain decimal within what a CPU sensor reports. */
function parseCelsius(text: string): Parsed<number> {
  const trimmed = text.trim();
  const n = /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isFinite(n)) return { ok: false, message: `"${text}" is not a temperature in °C (e.g. 80 or 72.5)` };
  if (n < -60 || n > 200) return { ok: false, message: `"${text}" is outside -60..200 °C` };
  return { ok: true, value: n };
}

/** Reads vars against their defaults, collecting a problem for each one set but unusable. */
class Reader {
  readonly problems: ConfigProblem[] = [];
  constructor(private readonly vars: ConfigVars) {}

  read<T>(name: VarName, fallback: T, parse: (text: string) => Parsed<T>, shown: string = String(fallback)): T {
    return readVar(this.problems, name, this.vars[name], fallback, parse, shown);
  }

  int(name: VarName, fallback: number, max?: number): number {
    return this.read(name, fallback, (t) => parsePositiveInt(t, max));
  }

  /** A duration var; the default is given as the documented text (e.g. "5m"). */
  duration(name: VarName, fallback: string, options: { allowZero?: boolean } = {}): number {
    const ms = parseDurationMs(fallback);
    if (!ms.ok) throw new Error(`config default for ${name} is not a duration: ${fallback}`);
    return this.read(name, ms.value, (t) => parseDurationMs(t, options), fallback);
  }

  text(name: VarName, fallback: string): string {
    return this.read(name, fallback, (t) => ({ ok: true, value: t }));
  }
}

const cache = new WeakMap<object, Config>();

function readEdge(r: Reader): EdgeSettings {
  const tempAlertC = r.read("EDGE_TEMP_ALERT_CELSIUS", 80, parseCelsius);
  // The clear threshold is judged against the alert in force: at or above it there would be no band at all.
  const clearDefault = Math.min(75, tempAlertC - 5);
  const tempClearC = r.read("EDGE_TEMP_CLEAR_CELSIUS", clearDefault, (t) => {
    const parsed = parseCelsius(t);
    if (parsed.ok && parsed.value >= tempAlertC)
      return { ok: false, message: `"${t}" must be below EDGE_TEMP_ALERT_CELSIUS (${tempAlertC})` };
    return parsed;
  });
  return { tempAlertC, tempClearC, offlineAfterMs: r.duration("EDGE_OFFLINE_AFTER", "90s") };
}

export function readConfig(vars: ConfigVars): Config {
  const hit = cache.get(vars);
  if (hit) return hit;
  const r = new Reader(vars);
  const config: Config = {
    botz: {
      heartbeatIntervalS: r.int("BOTZ_HEARTBEAT_INTERVAL", 30),
      staleThresholdMs: r.int("BOTZ_STALE_THRESHOLD", 5) * 60_000,
      leaseMs: r.int("BOTZ_CLAIM_LEASE_SECONDS", 600) * 1000,
      maxClaimAttempts: r.int("BOTZ_MAX_CLAIM_ATTEMPTS", 3),
    },
    edge: readEdge(r),
    resources: {
      capacities: {
        GPU_COMPUTE: r.int("RESOURCE_CAPACITY_GPU_COMPUTE", 100),
        MEMORY_MB: r.int("RESOURCE_CAPACITY_MEMORY_MB", 32_768),
        CLAUDE_API_TOKENS: r.int("RESOURCE_CAPACITY_CLAUDE_API_TOKENS", 1_000_000),
      },
      requestTimeoutMs: r.duration("RESOURCE_REQUEST_TIMEOUT", "5s", { allowZero: true }),
      // The unit is in the name: a whole number of milliseconds, as wrangler.toml writes it.
      agingMs: r.int("RESOURCE_AGING_MS", 10_000),
      maxWaitMs: r.duration("RESOURCE_MAX_WAIT", "10m"),
    },
    retentionMs: r.int("EVENT_RETENTION_DAYS", 7) * DAY_MS,
    eventBusPartitions: r.int("EVENT_BUS_PARTITIONS", 8, 64),
    busRedeliveryAfterMs: r.duration("BUS_REDELIVERY_AFTER", "5m"),
    logLevel: r.read("LOG_LEVEL", "INFO", parseLevel),
    componentName: r.text("COMPONENT_NAME", "botplane"),
    componentVersion: r.text("COMPONENT_VERSION", "0.1.0"),
    problems: r.problems,
  };
  const breaker = breakerConfigProblem(vars);
  if (breaker) config.problems.push(breaker);
  const log = createLogger("config", config.logLevel);
  logProblemsOnce(config.problems, (message, fields) => log.error(message, fields));
  cache.set(vars, config);
  return config;
}

/** One line per bad var, e.g. `BOTZ_CLAIM_LEASE_SECONDS="ten": "ten" is not a positive integer (using 600)`. */
export function describeProblems(problems: readonly ConfigProblem[]): string {
  return problems.map((p) => `${p.name}=${JSON.stringify(p.value)}: ${p.message} (using ${p.fallback})`).join("; ");
}

/** The /health check: fails naming every var that is set but unusable. */
export function configHealthCheck(vars: ConfigVars): Promise<void> {
  const { problems } = readConfig(vars);
  if (problems.length === 0) return Promise.resolve();
  return Promise.reject(new Error(describeProblems(problems)));
}
