/**
 * ChainBot config routes (chainbot:admin): `GET /api/chainbot/config` shows each key's effective value and
 * its level; `PATCH` sets runtime overrides (`null` removes one); `PUT /api/chainbot/config/files/{name}`
 * stores a JSON, YAML or TOML file after checking every key; `DELETE` removes a file. Every change is
 * audited and takes effect in this isolate at once, elsewhere within CACHE_TTL_MS.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { requireScope } from "../../platform/auth/middleware";
import { AppError } from "../../platform/errors";
import { bearerSecurity, errorResponses, jsonContent } from "../../platform/openapi";
import { createRouter } from "../../platform/validation";
import { auditDetail, auditTrail } from "../audit/record";
import { type FileFormat, parseConfigFile } from "./file-level";
import { checkValue, type ConfigKeyName, type ConfigValue, isConfigKey } from "./keys";
import { invalidateChainbotConfig, loadChainbotConfig } from "./load";
import { deleteConfigFile, patchRuntime, putConfigFile } from "./store";
import { ConfigViewSchema, presentConfig } from "./view";

const tags = ["chainbot"];
const MAX_FILE_CHARS = 64 * 1024;

const FORMATS: Record<string, FileFormat> = {
  "application/json": "json",
  "application/yaml": "yaml",
  "application/x-yaml": "yaml",
  "text/yaml": "yaml",
  "application/toml": "toml",
};

const PatchBodySchema = z
  .record(z.string().max(128), z.unknown())
  .openapi("ChainbotConfigPatch", { example: { "workflow.max_concurrent_executions": 8 } });

const FileNameParam = z.object({
  name: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
      "1–64 letters, digits, '.', '_' or '-', starting with a letter or digit",
    )
    .openapi({ param: { name: "name", in: "path" }, example: "10-production.yaml" }),
});

const FileText = z.string().openapi({ example: "workflow:\n  max_concurrent_executions: 8\n" });

const get = createRoute({
  method: "get",
  path: "/api/chainbot/config",
  tags,
  summary: "ChainBot config: each key's effective value and the level it came from",
  security: bearerSecurity,
  middleware: [auditTrail("config.read", { failuresOnly: true }), requireScope("chainbot:admin")] as const,
  responses: {
    200: { description: "The config in force", ...jsonContent(ConfigViewSchema) },
    ...errorResponses(401, 403),
  },
});

const patch = createRoute({
  method: "patch",
  path: "/api/chainbot/config",
  tags,
  summary: "Set runtime overrides by dotted key (the highest level); a null value removes the override",
  security: bearerSecurity,
  middleware: [auditTrail("config.update", { resource: () => "config" }), requireScope("chainbot:admin")] as const,
  request: { body: { required: true, ...jsonContent(PatchBodySchema) } },
  responses: {
    200: { description: "The config now in force", ...jsonContent(ConfigViewSchema) },
    ...errorResponses(400, 401, 403, 415),
  },
});

const putFile = createRoute({
  method: "put",
  path: "/api/chainbot/config/files/{name}",
  tags,
  summary: "Store a config file (JSON, YAML or TOML by content-type); files apply in name order",
  security: bearerSecurity,
  middleware: [
    auditTrail("config.file.put", { resource: (c) => `config/files/${c.req.param("name") ?? ""}` }),
    requireScope("chainbot:admin"),
  ] as const,
  request: {
    params: FileNameParam,
    body: {
      content: {
        "application/json": { schema: z.record(z.string(), z.unknown()) },
        "application/yaml": { schema: FileText },
        "application/x-yaml": { schema: FileText },
        "text/yaml": { schema: FileText },
        "application/toml": { schema: FileText },
      },
    },
  },
  responses: {
    200: { description: "File replaced; the config now in force", ...jsonContent(ConfigViewSchema) },
    201: { description: "File stored; the config now in force", ...jsonContent(ConfigViewSchema) },
    ...errorResponses(400, 401, 403, 413, 415),
  },
});

const deleteFile = createRoute({
  method: "delete",
  path: "/api/chainbot/config/files/{name}",
  tags,
  summary: "Remove a config file",
  security: bearerSecurity,
  middleware: [
    auditTrail("config.file.delete", { resource: (c) => `config/files/${c.req.param("name") ?? ""}` }),
    requireScope("chainbot:admin"),
  ] as const,
  request: { params: FileNameParam },
  responses: {
    200: { description: "Removed; the config now in force", ...jsonContent(ConfigViewSchema) },
    ...errorResponses(400, 401, 403, 404),
  },
});

function mediaType(header: string | undefined): string {
  return (header ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

function invalid(message: string, issues: { field: string; message: string }[], code = "invalid_input"): AppError {
  return new AppError(400, code, message, { issues });
}

/** Checks a PATCH body: each key must exist and its value fit; `null` removes the key's override. */
function checkPatch(body: Record<string, unknown>): { set: Map<ConfigKeyName, ConfigValue>; remove: ConfigKeyName[] } {
  const set = new Map<ConfigKeyName, ConfigValue>();
  const remove: ConfigKeyName[] = [];
  const issues: { field: string; message: string }[] = [];
  for (const [name, value] of Object.entries(body)) {
    if (!isConfigKey(name)) issues.push({ field: `body.${name}`, message: "unknown key" });
    else if (value === null) remove.push(name);
    else {
      const checked = checkValue(name, value);
      if (checked.ok) set.set(name, checked.value);
      else issues.push({ field: `body.${name}`, message: checked.message });
    }
  }
  if (Object.keys(body).length === 0) issues.push({ field: "body", message: "no keys to change" });
  const first = issues[0];
  if (first) throw invalid(`${first.field}: ${first.message}`, issues);
  return { set, remove };
}

async function fileText(c: { req: { arrayBuffer(): Promise<ArrayBuffer> } }): Promise<string> {
  // Decoded by hand: workerd warns when .text() reads a type it does not consider text (application/toml).
  return new TextDecoder().decode(await c.req.arrayBuffer());
}

export const chainbotConfigRoutes = createRouter()
  .openapi(get, async (c) => c.json(presentConfig(await loadChainbotConfig(c.env)), 200))
  .openapi(patch, async (c) => {
    const { set, remove } = checkPatch(c.req.valid("json"));
    auditDetail(c, { set: Object.fromEntries(set), removed: remove });
    await patchRuntime(c.env.DB, set, remove, c.get("principal").sub);
    invalidateChainbotConfig();
    return c.json(presentConfig(await loadChainbotConfig(c.env)), 200);
  })
  .openapi(putFile, async (c) => {
    const { name } = c.req.valid("param");
    const format = FORMATS[mediaType(c.req.header("content-type"))];
    if (format === undefined)
      throw invalid("body: expected a JSON, YAML or TOML config file", [{ field: "body", message: "required" }]);
    const text = format === "json" ? JSON.stringify(c.req.valid("json"), null, 2) : await fileText(c);
    if (text.length > MAX_FILE_CHARS)
      throw new AppError(413, "payload_too_large", `body: at most ${MAX_FILE_CHARS} characters`);
    const parsed = parseConfigFile(format, text);
    if (!parsed.ok) throw invalid(parsed.message, parsed.issues, "invalid_config");
    auditDetail(c, { format, keys: [...parsed.values.keys()] });
    const { created } = await putConfigFile(c.env.DB, {
      name,
      format,
      content: text,
      values: parsed.values,
      by: c.get("principal").sub,
    });
    invalidateChainbotConfig();
    const view = presentConfig(await loadChainbotConfig(c.env));
    return created ? c.json(view, 201) : c.json(view, 200);
  })
  .openapi(deleteFile, async (c) => {
    const { name } = c.req.valid("param");
    if (!(await deleteConfigFile(c.env.DB, name)))
      throw new AppError(404, "config_file_not_found", `no config file named '${name}'`);
    invalidateChainbotConfig();
    return c.json(presentConfig(await loadChainbotConfig(c.env)), 200);
  });
