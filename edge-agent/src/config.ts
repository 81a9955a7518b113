/**
 * The edge-agent's settings, read from its environment and an optional JSON file (`EDGE_CONFIG_FILE`) with zod
 * so a typo fails at start-up with the name of the variable, not later on the first command. The environment
 * wins over the file, so a systemd drop-in can override one value of a shared file.
 */
import { z } from "zod";
import { readConfigFile } from "./config-file.js";

const pin = z.coerce.number().int().min(0).max(53);

/** `true`/`false` from JSON, or the usual spellings from the environment ("false" must not coerce to true). */
const flag = z.union([z.boolean(), z.stringbool()]);

/** A pin list from JSON (`[18, 23]`) or the environment (`"18,23"`). */
const pinList = z.preprocess(
  (value) =>
    typeof value === "string"
      ? value
          .split(",")
          .map((part) => part.trim())
          .filter((part) => part !== "")
      : value,
  z.array(pin).min(1),
);

const configSchema = z.object({
  BOTPLANE_URL: z.url().default("http://127.0.0.1:8054"),
  EDGE_DEVICE_ID: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "lowercase letters, digits and dashes"),
  EDGE_DEVICE_TOKEN: z.string().min(1),
  EDGE_TRANSPORT: z.enum(["websocket", "poll"]).default("websocket"),
  OLLAMA_URL: z.url().default("http://127.0.0.1:11434"),
  ENABLE_HARDWARE_MONITORING: flag.default(true),
  ENABLE_GPIO_INTEGRATION: flag.default(false),
  GPIO_BACKEND: z.enum(["sysfs-led", "gpiod", "memory"]).default("gpiod"),
  GPIO_CHIP: z
    .string()
    .regex(/^gpiochip[0-9]{1,3}$/, "a chip name like gpiochip0")
    .default("gpiochip0"),
  /** Pins `gpio.write`/`gpio.read` may touch; defaults to the two LED pins. */
  GPIO_ALLOWED_PINS: pinList.optional(),
  GPIO_LEDS_ROOT: z.string().min(1).default("/sys/class/leds"),
  STATUS_LED_PIN: pin.default(18),
  ERROR_LED_PIN: pin.default(23),
  STATUS_LED_LABEL: z
    .string()
    .regex(/^[A-Za-z0-9_:.-]+$/, "a kernel LED label")
    .default("status"),
  ERROR_LED_LABEL: z
    .string()
    .regex(/^[A-Za-z0-9_:.-]+$/, "a kernel LED label")
    .default("error"),
  TEMP_ALERT_C: z.coerce.number().min(20).max(120).optional(),
  /** Seed 004's name for TEMP_ALERT_C. */
  CPU_TEMP_THRESHOLD_CELSIUS: z.coerce.number().min(20).max(120).optional(),
  TEMP_CLEAR_C: z.coerce.number().min(0).max(120).default(75),
  TELEMETRY_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  /** Where the command ledger and the offline telemetry buffer live (systemd's StateDirectory). */
  EDGE_STATE_DIR: z.string().min(1).default("/var/lib/botplane-edge-agent"),
  /** Lowest level logged; `debug` adds every dropped send and failed reader. */
  EDGE_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
});

type ParsedConfig = z.infer<typeof configSchema>;

export type EdgeAgentConfig = Omit<
  ParsedConfig,
  "GPIO_ALLOWED_PINS" | "TEMP_ALERT_C" | "CPU_TEMP_THRESHOLD_CELSIUS"
> & {
  GPIO_ALLOWED_PINS: readonly number[];
  TEMP_ALERT_C: number;
};

const configKeys = Object.keys(configSchema.shape);

/**
 * Parses the environment (plus the file `EDGE_CONFIG_FILE` names, if any); throws one message naming every bad
 * variable, and where a value came from the file, the file.
 */
export function loadConfig(env: Record<string, string | undefined>): EdgeAgentConfig {
  const filePath = env.EDGE_CONFIG_FILE;
  const fromFile = filePath === undefined || filePath === "" ? {} : readConfigFile(filePath, configKeys);
  const fromEnv = Object.fromEntries(configKeys.flatMap((key) => (env[key] === undefined ? [] : [[key, env[key]]])));
  const merged: Record<string, unknown> = { ...fromFile, ...fromEnv };

  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? "");
      const source = key in fromFile && !(key in fromEnv) ? ` (in ${filePath})` : "";
      return `${issue.path.join(".")}${source}: ${issue.message}`;
    });
    throw new Error(`edge-agent config: ${problems.join("; ")}`);
  }
  return finish(parsed.data);
}

/** Cross-field rules zod's per-field schema cannot say. */
function finish(data: ParsedConfig): EdgeAgentConfig {
  const { TEMP_ALERT_C: alert, CPU_TEMP_THRESHOLD_CELSIUS: seedAlert, GPIO_ALLOWED_PINS: allowed, ...rest } = data;
  if (alert !== undefined && seedAlert !== undefined && alert !== seedAlert) {
    throw new Error(
      `edge-agent config: TEMP_ALERT_C (${alert}) and CPU_TEMP_THRESHOLD_CELSIUS (${seedAlert}) disagree; set one`,
    );
  }
  const alertC = alert ?? seedAlert ?? 80;
  if (rest.TEMP_CLEAR_C >= alertC) {
    throw new Error(`edge-agent config: TEMP_CLEAR_C (${rest.TEMP_CLEAR_C}) must be below TEMP_ALERT_C (${alertC})`);
  }
  if (rest.STATUS_LED_PIN === rest.ERROR_LED_PIN) {
    throw new Error("edge-agent config: STATUS_LED_PIN and ERROR_LED_PIN must be different pins");
  }
  const pins = [...new Set(allowed ?? [rest.STATUS_LED_PIN, rest.ERROR_LED_PIN])].sort((a, b) => a - b);
  const missing = [rest.STATUS_LED_PIN, rest.ERROR_LED_PIN].filter((p) => !pins.includes(p));
  if (missing.length > 0) {
    throw new Error(`edge-agent config: GPIO_ALLOWED_PINS must include the LED pins (missing ${missing.join(", ")})`);
  }
  return { ...rest, TEMP_ALERT_C: alertC, GPIO_ALLOWED_PINS: pins };
}
