/**
 * The EdgeHub's wire contract, imported by the hub, the Worker and the Pi's edge-agent alike (so it depends on
 * zod only): every WebSocket message between hub and device, and the NDJSON lines a job's result stream
 * carries from the hub to the Worker. Job requests and chunk data are Ollama-native objects: the device
 * forwards a request to its local Ollama as is and sends back each NDJSON object it answers with.
 */
import { z } from "zod";

/** The edge-agent's EDGE_DEVICE_ID rule, so an id that connects is an id a config can name. */
export const DEVICE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const deviceIdSchema = z.string().regex(DEVICE_ID_PATTERN, "lowercase letters, digits and dashes, at most 63");

/** `{"type":"ping"}` exactly is answered `{"type":"pong"}` by the runtime without waking the hub. */
export const PING = JSON.stringify({ type: "ping" });
export const PONG = JSON.stringify({ type: "pong" });

export const JOB_KINDS = ["llm.chat", "llm.embed"] as const;
export type JobKind = (typeof JOB_KINDS)[number];

const jobIdSchema = z.string().min(1).max(128);
/** An Ollama-native object: a `/api/chat` or `/api/embed` body, or one NDJSON object of an answer. */
const ollamaObjectSchema = z.record(z.string(), z.unknown());

// ---- hub → device ----

/**
 * Run `request` (the body for Ollama's `/api/chat` — always `stream: true` — or `/api/embed`). Ack it with
 * its `seq`; a job sent again after a reconnect has the same job_id and must not run twice.
 */
export const jobMessageSchema = z.object({
  type: z.literal("job"),
  job_id: jobIdSchema,
  seq: z.number().int().positive(),
  kind: z.enum(JOB_KINDS),
  request: z.looseObject({ model: z.string().min(1) }),
  /** What is left of the job's time budget when this frame was sent; the hub cancels the job after it. */
  timeout_ms: z.number().int().nonnegative(),
});

/** Stop the job (budget exceeded or the caller went away); further chunks for it are ignored. */
export const cancelMessageSchema = z.object({
  type: z.literal("cancel"),
  job_id: jobIdSchema,
  reason: z.string().optional(),
});

/** The hub could not use a device message; the connection stays open. */
export const hubErrorMessageSchema = z.object({
  type: z.literal("error"),
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

// ---- commands (operator → hub → device) ----

export const COMMAND_NAMES = ["gpio.write", "gpio.read", "telemetry.read", "llm.models", "agent.restart"] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];
/** BCM numbering: the Pi's 40-pin header exposes GPIO 0–27; the agent refuses pins outside its configured set. */
const pinSchema = z.number().int().min(0).max(27);
const noArgs = z.strictObject({});

/** A command and its arguments, checked by name: what an operator may enqueue and what a device may receive. */
export const commandSpecSchema = z.discriminatedUnion("name", [
  z.object({
    name: z.literal("gpio.write"),
    args: z.strictObject({ pin: pinSchema, value: z.union([z.literal(0), z.literal(1)]) }),
  }),
  z.object({ name: z.literal("gpio.read"), args: z.strictObject({ pin: pinSchema }) }),
  z.object({ name: z.literal("telemetry.read"), args: noArgs }),
  z.object({ name: z.literal("llm.models"), args: noArgs }),
  z.object({ name: z.literal("agent.restart"), args: noArgs }),
]);
export type CommandSpec = z.infer<typeof commandSpecSchema>;

/**
 * Commands only the hub sends: `alert.set` tells the device that the hub raised (`active: true`) or cleared an
 * alert, so the agent lights its error LED for it (over temperature, with the hub's configured thresholds).
 */
export const HUB_COMMAND_NAMES = [...COMMAND_NAMES, "alert.set"] as const;
export type HubCommandName = (typeof HUB_COMMAND_NAMES)[number];
export const ALERT_NAMES = ["over_temperature"] as const;
export const alertArgsSchema = z.strictObject({ alert: z.enum(ALERT_NAMES), active: z.boolean() });

export const commandIdSchema = z.string().min(1).max(128);
export const COMMAND_RESULT_STATUSES = ["succeeded", "failed", "rejected"] as const;

/**
 * Run command `id` (at most once per id: a command sent again after a reconnect has the same id; answer a
 * repeat with the same result again). Not to be started after `expires_at` (ISO 8601); the hub marks it
 * `expired` then. It is resent until a `command_result` for its id arrives.
 */
export const commandMessageSchema = z.object({
  type: z.literal("command"),
  id: commandIdSchema,
  seq: z.number().int().positive(),
  name: z.enum(HUB_COMMAND_NAMES),
  args: z.record(z.string(), z.unknown()),
  expires_at: z.iso.datetime(),
});

export const hubMessageSchema = z.discriminatedUnion("type", [
  jobMessageSchema,
  cancelMessageSchema,
  hubErrorMessageSchema,
  commandMessageSchema,
]);
export type CommandMessage = z.infer<typeof commandMessageSchema>;

export type JobMessage = z.infer<typeof jobMessageSchema>;
export type CancelMessage = z.infer<typeof cancelMessageSchema>;
export type HubMessage = z.infer<typeof hubMessageSchema>;

// ---- device → hub ----

const nullableNumber = z.number().finite().nullable();

/** One telemetry reading, as the agent reads it (null: not available on this machine, e.g. no vcgencmd). */
export const telemetryDataSchema = z.object({
  cpu_temp_c: z.number().min(-60).max(200).nullable(),
  load: z.object({ one: z.number().min(0), five: z.number().min(0), fifteen: z.number().min(0) }).nullable(),
  /** Cores the kernel counts (`/proc/stat`'s cpuN lines): what the load averages are shared by. Absent from older agents. */
  cpu_count: z.number().int().min(1).max(1024).nullable().optional(),
  memory: z.object({ total_bytes: z.number().min(0), available_bytes: z.number().min(0) }).nullable(),
  disk: z.object({ total_bytes: z.number().min(0), free_bytes: z.number().min(0) }).nullable(),
  uptime_s: nullableNumber,
  /** `vcgencmd get_throttled`: the raw bit field and the flags it holds (now, and since boot). */
  throttled: z
    .object({
      raw: z.number().int().min(0),
      under_voltage: z.boolean(),
      arm_frequency_capped: z.boolean(),
      throttled: z.boolean(),
      soft_temperature_limit: z.boolean(),
      under_voltage_occurred: z.boolean(),
      arm_frequency_capped_occurred: z.boolean(),
      throttled_occurred: z.boolean(),
      soft_temperature_limit_occurred: z.boolean(),
    })
    .nullable(),
  /** The local Ollama: reachable at all, the models pulled (`/api/tags`) and those loaded now (`/api/ps`). */
  ollama: z.object({
    reachable: z.boolean(),
    models: z.array(z.string().max(256)).max(500),
    loaded: z.array(z.string().max(256)).max(500),
  }),
});
export type TelemetryData = z.infer<typeof telemetryDataSchema>;

export const deviceMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("hello"), device_id: deviceIdSchema, agent_version: z.string().min(1).max(64) }),
  z.object({ type: z.literal("heartbeat") }),
  /**
   * A telemetry reading taken at `at`. `id` is unique per reading: a reading buffered while offline and sent
   * again after a reconnect is stored once. Readings may arrive late and out of order.
   */
  z.object({
    type: z.literal("telemetry"),
    id: z.string().min(1).max(128),
    at: z.iso.datetime(),
    data: telemetryDataSchema,
  }),
  z.object({ type: z.literal("ack"), seq: z.number().int().positive() }),
  /**
   * One Ollama NDJSON object of the job's answer, numbered from 0. A resent index is dropped, so a device that
   * replays a job after a reconnect must replay the same chunks. An embed answer may be split across chunks
   * (each with part of `embeddings`) to stay under the WebSocket message limit.
   */
  z.object({
    type: z.literal("chunk"),
    job_id: jobIdSchema,
    index: z.number().int().nonnegative(),
    data: ollamaObjectSchema,
  }),
  z.object({ type: z.literal("done"), job_id: jobIdSchema }),
  /** The job failed on the device; `status` is Ollama's HTTP status when it answered with one (404: model not pulled). */
  z.object({
    type: z.literal("error"),
    job_id: jobIdSchema,
    message: z.string().max(2000),
    status: z.number().int().min(100).max(599).optional(),
  }),
  /**
   * A command's outcome: `rejected` when the device refused it (pin not configured, GPIO disabled, expired),
   * `failed` when it ran and failed. `result` is the command's answer (e.g. `{pin, value}` for gpio.read).
   * A result for an unknown or finished command is ignored, so repeating one is harmless.
   */
  z.object({
    type: z.literal("command_result"),
    id: commandIdSchema,
    status: z.enum(COMMAND_RESULT_STATUSES),
    result: z.unknown().optional(),
    error: z.string().max(2000).optional(),
  }),
]);

export type DeviceMessage = z.infer<typeof deviceMessageSchema>;

// ---- hub → Worker: one job's result stream (NDJSON over RPC) ----

/** Why a job ended without `done`: the Worker maps these onto the provider's failure kinds. */
export const JOB_FAILURES = ["timeout", "cancelled", "device_error", "offline", "unknown_job"] as const;
export type JobFailure = (typeof JOB_FAILURES)[number];

export const jobStreamLineSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("chunk"), index: z.number().int().nonnegative(), data: ollamaObjectSchema }),
  z.object({ type: z.literal("done") }),
  z.object({
    type: z.literal("error"),
    reason: z.enum(JOB_FAILURES),
    message: z.string(),
    status: z.number().int().optional(),
  }),
]);

export type JobStreamLine = z.infer<typeof jobStreamLineSchema>;

export interface SubmitJobInput {
  kind: JobKind;
  request: Record<string, unknown>;
  /** The job's time budget from now; past it the hub cancels the job and its stream ends with `timeout`. */
  deadlineMs: number;
}

export const submitJobSchema = z.object({
  kind: z.enum(JOB_KINDS),
  request: z.looseObject({ model: z.string().min(1) }),
  deadlineMs: z
    .number()
    .int()
    .min(1)
    .max(15 * 60_000),
});
