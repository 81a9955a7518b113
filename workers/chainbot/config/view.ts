/**
 * What `GET /api/chainbot/config` shows: each key's effective value, the level it came from, its bundled
 * default and env var name; the stored files in the order they apply; and every unusable setting. Values
 * that may carry credentials (a database URL's password) are masked here, so no response ever shows one.
 */
import { z } from "@hono/zod-openapi";
import { maskSecrets, maskString } from "../audit/mask";
import { CONFIG_KEY_NAMES, CONFIG_KEYS, type ConfigValue, envNameOf } from "./keys";
import type { EffectiveConfig } from "./load";

const ValueSchema = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);

const EntrySchema = z.object({
  value: ValueSchema,
  source: z.string().openapi({ description: "default | env | file:<name> | runtime", example: "runtime" }),
  default: ValueSchema,
  env_var: z.string().openapi({ example: "ALEX_OS_CHAINBOT_WORKFLOW_MAX_CONCURRENT_EXECUTIONS" }),
  description: z.string(),
});

export const ConfigViewSchema = z
  .object({
    order: z.array(z.string()).openapi({ description: "The levels, lowest first; a later level wins" }),
    keys: z.record(z.string(), EntrySchema),
    files: z.array(
      z.object({
        name: z.string(),
        format: z.string(),
        keys: z.array(z.string()),
        updated_at: z.string(),
        updated_by: z.string(),
      }),
    ),
    problems: z.array(z.object({ name: z.string(), value: z.string(), message: z.string(), fallback: z.string() })),
    stored_error: z.string().optional(),
  })
  .openapi("ChainbotConfig");

export type ConfigView = z.infer<typeof ConfigViewSchema>;

function shown(secretBearing: boolean | undefined, value: ConfigValue): string | number | boolean | string[] {
  if (Array.isArray(value)) return [...(value as readonly string[])];
  return secretBearing && typeof value === "string" ? maskString(value) : (value as string | number | boolean);
}

export function presentConfig(config: EffectiveConfig): ConfigView {
  const keys = Object.fromEntries(
    CONFIG_KEY_NAMES.map((name) => {
      const spec: { secretBearing?: boolean; default: ConfigValue; description: string } = CONFIG_KEYS[name];
      const entry = config.entries[name];
      return [
        name,
        {
          value: shown(spec.secretBearing, entry.value),
          source: entry.source,
          default: shown(spec.secretBearing, spec.default),
          env_var: envNameOf(name),
          description: spec.description,
        },
      ];
    }),
  );
  const view: ConfigView = {
    order: ["default", "env", ...config.files.map((f) => `file:${f.name}`), "runtime"],
    keys,
    files: config.files.map((f) => ({
      name: f.name,
      format: f.format,
      keys: f.keys,
      updated_at: new Date(f.updatedAt).toISOString(),
      updated_by: f.updatedBy,
    })),
    problems: config.problems.map((p) => ({ ...p, value: maskString(p.value) })),
  };
  if (config.storedError !== undefined) view.stored_error = config.storedError;
  return maskSecrets(view);
}
