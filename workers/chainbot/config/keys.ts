/**
 * ChainBot's configuration keys: the seed's `config/default.yaml`, every key with its verbatim dotted name,
 * its bundled default and the zod schema every level (env, file, runtime) is checked against. The one place
 * a key is added; the levels, the routes and `loadChainbotConfig` all read this table.
 */
import { z } from "zod";

/** How a key's value is written in an env var: the default's type decides. */
export type KeyKind = "string" | "integer" | "number" | "boolean" | "string_list";

export type ConfigValue = string | number | boolean | readonly string[];

export interface ConfigKey {
  kind: KeyKind;
  default: ConfigValue;
  schema: z.ZodType<ConfigValue>;
  description: string;
  /** Values that may hold credentials (a database URL's password) are shown with them masked. */
  secretBearing?: boolean;
}

/** The seed's four agent types, verbatim. */
export const AGENT_TYPES = ["assistant", "data_processor", "api", "workflow"] as const;

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);
// BCM numbering: the Pi's 40-pin header exposes GPIO 0–27.
const gpioPin = int(0, 27);

function key<S extends z.ZodType<ConfigValue>>(
  kind: KeyKind,
  def: z.output<S>,
  schema: S,
  description: string,
): ConfigKey & { schema: S } {
  return { kind, default: def, schema, description };
}

export const CONFIG_KEYS = {
  "database.url": {
    ...key("string", "postgresql://localhost/chainbot", z.string().min(1), "Seed's database URL; botplane uses D1"),
    secretBearing: true,
  },
  "database.pool_size": key("integer", 10, int(1), "Seed's connection pool size (D1 needs none)"),
  "database.max_overflow": key("integer", 20, int(0), "Seed's pool overflow (D1 needs none)"),
  "workflow.max_concurrent_executions": key("integer", 5, int(1), "Executions running at once; the rest queue"),
  "workflow.default_timeout_hours": key("number", 1, z.number().positive(), "A workflow's timeout, in hours"),
  "workflow.retry_attempts": key("integer", 3, int(0, 100), "Retries of a failed step"),
  "agents.types": key(
    "string_list",
    [...AGENT_TYPES],
    z
      .array(z.enum(AGENT_TYPES))
      .min(1)
      .refine((a) => new Set(a).size === a.length, "must not repeat a type"),
    "Agent types that may be spawned",
  ),
  "agents.max_instances_per_type": key("integer", 10, int(1), "Agents of one type at once"),
  "agents.max_total_instances": key("integer", 50, int(1), "Agents of all types at once"),
  "raspberry_pi.enable_hardware_monitoring": key("boolean", true, z.boolean(), "Read the edge devices' telemetry"),
  "raspberry_pi.cpu_temp_threshold_celsius": key(
    "number",
    80,
    z.number().min(0).max(150),
    "CPU temperature that raises an alert",
  ),
  "raspberry_pi.enable_gpio_integration": key("boolean", false, z.boolean(), "Drive the status and error LEDs"),
  "raspberry_pi.gpio_pins.status_led": key("integer", 18, gpioPin, "BCM pin of the status LED"),
  "raspberry_pi.gpio_pins.error_led": key("integer", 23, gpioPin, "BCM pin of the error LED"),
} satisfies Record<string, ConfigKey>;

export type ConfigKeyName = keyof typeof CONFIG_KEYS;

/** Each key's value, typed by its schema (`workflow.max_concurrent_executions` is a number, …). */
export type ChainbotValues = { [K in ConfigKeyName]: z.output<(typeof CONFIG_KEYS)[K]["schema"]> };

export const CONFIG_KEY_NAMES = Object.keys(CONFIG_KEYS) as ConfigKeyName[];

export function isConfigKey(name: string): name is ConfigKeyName {
  return Object.hasOwn(CONFIG_KEYS, name);
}

/** `workflow.max_concurrent_executions` → `ALEX_OS_CHAINBOT_WORKFLOW_MAX_CONCURRENT_EXECUTIONS` (the seed's form). */
export function envNameOf(name: ConfigKeyName): string {
  return `ALEX_OS_CHAINBOT_${name.replaceAll(".", "_").toUpperCase()}`;
}

/** Checks one value against its key's schema; the message says what was wrong. */
export function checkValue(
  name: ConfigKeyName,
  value: unknown,
): { ok: true; value: ConfigValue } | { ok: false; message: string } {
  const parsed = CONFIG_KEYS[name].schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? `[${issue.path.join(".")}] ` : "";
  return { ok: false, message: `${where}${issue?.message ?? "invalid value"}` };
}
