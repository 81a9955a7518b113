/**
 * Reads the optional JSON settings file into the variables' names. Keys are the variable names in any case
 * (`ENABLE_GPIO_INTEGRATION` or seed 004's `enable_gpio_integration`), and seed 004's `gpio_pins` object
 * (`status_led`, `error_led`) is accepted, so the seed's `raspberry_pi` section works as a file unchanged.
 * An unknown key is an error: a misspelt setting would otherwise be silently ignored.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";

const scalar = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]);
const gpioPins = z.strictObject({ status_led: z.number().optional(), error_led: z.number().optional() });
const fileSchema = z.record(z.string(), z.union([scalar, gpioPins]));

/** The file's settings keyed by variable name; throws naming the file and the offending key. */
export function readConfigFile(path: string, knownKeys: readonly string[]): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`edge-agent config: EDGE_CONFIG_FILE ${path} cannot be read (${describe(err)})`, {
      cause: err,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`edge-agent config: EDGE_CONFIG_FILE ${path} is not JSON (${describe(err)})`, { cause: err });
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`);
    throw new Error(`edge-agent config: EDGE_CONFIG_FILE ${path}: ${problems.join("; ")}`);
  }

  const known = new Set(knownKeys);
  const out: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [rawKey, value] of Object.entries(parsed.data)) {
    if (rawKey === "gpio_pins" && typeof value === "object" && !Array.isArray(value)) {
      if (value.status_led !== undefined) out.STATUS_LED_PIN = value.status_led;
      if (value.error_led !== undefined) out.ERROR_LED_PIN = value.error_led;
      continue;
    }
    const key = rawKey.toUpperCase();
    if (known.has(key)) out[key] = value;
    else unknown.push(rawKey);
  }
  if (unknown.length > 0) {
    throw new Error(`edge-agent config: EDGE_CONFIG_FILE ${path}: unknown setting ${unknown.join(", ")}`);
  }
  return out;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
