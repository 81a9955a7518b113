/**
 * The edge-agent's settings, read from its environment with zod so a typo fails at start-up with the name
 * of the variable, not later on the first command.
 */
import { z } from "zod";

const configSchema = z.object({
  BOTPLANE_URL: z.url().default("http://127.0.0.1:8054"),
  EDGE_DEVICE_ID: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "lowercase letters, digits and dashes"),
  EDGE_DEVICE_TOKEN: z.string().min(1),
  OLLAMA_URL: z.url().default("http://127.0.0.1:11434"),
  STATUS_LED_PIN: z.coerce.number().int().min(0).max(53).default(18),
  ERROR_LED_PIN: z.coerce.number().int().min(0).max(53).default(23),
  TEMP_ALERT_C: z.coerce.number().default(80),
  TEMP_CLEAR_C: z.coerce.number().default(75),
});

export type EdgeAgentConfig = z.infer<typeof configSchema>;

/** Parses the environment; throws one message naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): EdgeAgentConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`edge-agent config: ${problems.join("; ")}`);
  }
  if (parsed.data.TEMP_CLEAR_C >= parsed.data.TEMP_ALERT_C) {
    throw new Error("edge-agent config: TEMP_CLEAR_C must be below TEMP_ALERT_C");
  }
  return parsed.data;
}
