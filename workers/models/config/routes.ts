/**
 * `PUT /api/v1/models/config` replaces the gateway config (admin): the TOML is validated against this
 * Worker's env before it is stored, so an invalid config is refused with the key named and never takes
 * effect. `GET /api/v1/models/config` shows the config in force (models:read) without any credential.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { requireScope } from "../../platform/auth/middleware";
import { AppError } from "../../platform/errors";
import { bearerSecurity, errorResponses, jsonContent } from "../../platform/openapi";
import { createRouter } from "../../platform/validation";
import { parseGatewayConfig } from "./load";
import { envVars, loadGatewayConfig, rememberStoredConfig } from "./source";
import { storeConfig } from "./store";
import { ConfigSummarySchema, summarize } from "./summary";

const PATH = "/api/v1/models/config";
const tags = ["models"];
/** Far above any real gateway config, far below D1's row limit. */
const MAX_TOML_CHARS = 256 * 1024;

const PutJsonSchema = z
  .object({ toml: z.string().min(1).max(MAX_TOML_CHARS).openapi({ description: "The tensorzero.toml text" }) })
  .openapi("GatewayConfigBody");
const TomlText = z.string().openapi({
  description: "The tensorzero.toml text",
  example: '[providers.ollama]\ntype = "ollama"\nurl = "edge:pi-kitchen"\n',
});

const put = createRoute({
  method: "put",
  path: PATH,
  tags,
  summary: "Replace the model gateway config (TOML); validated before it is stored, in force everywhere within 10 s",
  security: bearerSecurity,
  middleware: [requireScope("admin")] as const,
  request: {
    body: {
      description: "TOML as text/plain or application/toml, or JSON { toml }",
      content: {
        "application/toml": { schema: TomlText },
        "text/plain": { schema: TomlText },
        "application/json": { schema: PutJsonSchema },
      },
    },
  },
  responses: {
    200: { description: "Stored; the config now in force", ...jsonContent(ConfigSummarySchema) },
    ...errorResponses(400, 401, 403, 413, 415),
  },
});

const get = createRoute({
  method: "get",
  path: PATH,
  tags,
  summary:
    "The model gateway config in force: source, warnings, providers (no credentials), models, functions in try order",
  security: bearerSecurity,
  middleware: [requireScope("models:read")] as const,
  responses: {
    200: { description: "The config in force", ...jsonContent(ConfigSummarySchema) },
    ...errorResponses(401, 403),
  },
});

function mediaType(header: string | undefined): string {
  return (header ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

export const modelConfigRoutes = createRouter()
  .openapi(put, async (c) => {
    const type = mediaType(c.req.header("content-type"));
    let text: string;
    if (/^application\/([a-z.-]+\+)?json$/.test(type)) {
      // Typed as a union with the text bodies; at runtime only the JSON schema validates here.
      const body = c.req.valid("json");
      text = typeof body === "string" ? body : body.toml;
    }
    // Decoded by hand: workerd warns when .text() reads a type it does not consider text (application/toml).
    else if (type === "text/plain" || type === "application/toml")
      text = new TextDecoder().decode(await c.req.arrayBuffer());
    else
      throw new AppError(
        400,
        "invalid_input",
        "body: expected TOML (text/plain or application/toml) or JSON { toml }",
        { issues: [{ field: "body", message: "required" }] },
      );
    if (text.length > MAX_TOML_CHARS)
      throw new AppError(413, "payload_too_large", `body: at most ${MAX_TOML_CHARS} characters`);
    if (text.trim() === "")
      throw new AppError(400, "invalid_input", "body: empty config", {
        issues: [{ field: "body", message: "empty config" }],
      });

    const result = parseGatewayConfig(text, envVars(c.env));
    if (!result.ok) throw new AppError(400, "invalid_config", result.error, { issues: result.issues });
    rememberStoredConfig(await storeConfig(c.env.DB, text, c.get("principal").sub));
    return c.json(summarize(await loadGatewayConfig(c.env)), 200);
  })
  .openapi(get, async (c) => c.json(summarize(await loadGatewayConfig(c.env)), 200));
