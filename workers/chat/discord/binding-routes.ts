/**
 * Admin routes over the Discord identity bindings (scope `admin`): `PUT` binds a Discord user (optionally
 * only in one guild) to a founder and workspace, `DELETE` unbinds, `GET` lists. An unbound Discord user who
 * asks `/ask` only gets an ephemeral "not linked" reply.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { requireScope } from "../../platform/auth/middleware";
import { AppError } from "../../platform/errors";
import { bearerSecurity, errorResponses, jsonContent } from "../../platform/openapi";
import { createRouter } from "../../platform/validation";
import type { TrustMode } from "../surfaces";
import { deleteBinding, listBindings, putBinding } from "./bindings";

const tags = ["chat"];
const snowflake = z.string().regex(/^\d{1,20}$/, "must be a Discord id (a snowflake)");

const ParamSchema = z.object({ discord_user_id: snowflake });
const GuildQuerySchema = z.object({ guild_id: snowflake.optional() });
const ListQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });
const PutBodySchema = z.object({
  user_id: z.string().min(1).max(128),
  /** Defaults to the founder's personal workspace, whose id is the founder's (as for a token without one). */
  workspace_id: z.string().min(1).max(128).optional(),
  guild_id: snowflake.nullish(),
  /** The trust mode `/ask` sessions open at; the `discord` surface caps it (effective_trust_mode). */
  trust_mode: z.number().int().min(0).max(3).default(0),
});
const BindingSchema = z
  .object({
    discord_user_id: z.string(),
    guild_id: z.string().nullable(),
    user_id: z.string(),
    workspace_id: z.string(),
    trust_mode: z.number().int(),
    effective_trust_mode: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("DiscordBinding");

const path = "/api/v1/chat/discord-bindings/{discord_user_id}";

const put = createRoute({
  method: "put",
  path,
  tags,
  summary: "Bind a Discord user (optionally in one guild) to a founder and workspace",
  security: bearerSecurity,
  middleware: [requireScope("admin")] as const,
  request: { params: ParamSchema, body: { required: true, ...jsonContent(PutBodySchema) } },
  responses: {
    200: { description: "Replaced", ...jsonContent(BindingSchema) },
    201: { description: "Created", ...jsonContent(BindingSchema) },
    ...errorResponses(400, 401, 403, 415),
  },
});

const remove = createRoute({
  method: "delete",
  path,
  tags,
  summary: "Unbind a Discord user (the any-guild binding, or one guild's with ?guild_id=)",
  security: bearerSecurity,
  middleware: [requireScope("admin")] as const,
  request: { params: ParamSchema, query: GuildQuerySchema },
  responses: { 204: { description: "Unbound" }, ...errorResponses(400, 401, 403, 404) },
});

const list = createRoute({
  method: "get",
  path: "/api/v1/chat/discord-bindings",
  tags,
  summary: "List the Discord identity bindings",
  security: bearerSecurity,
  middleware: [requireScope("admin")] as const,
  request: { query: ListQuerySchema },
  responses: {
    200: { description: "The bindings", ...jsonContent(z.object({ bindings: z.array(BindingSchema) })) },
    ...errorResponses(400, 401, 403),
  },
});

export const discordBindingRoutes = createRouter()
  .openapi(put, async (c) => {
    const { discord_user_id } = c.req.valid("param");
    const body = c.req.valid("json");
    const { binding, created } = await putBinding(c.env, {
      discordUserId: discord_user_id,
      guildId: body.guild_id ?? null,
      userId: body.user_id,
      workspaceId: body.workspace_id ?? body.user_id,
      trustMode: body.trust_mode as TrustMode,
    });
    return created ? c.json(binding, 201) : c.json(binding, 200);
  })
  .openapi(remove, async (c) => {
    const { discord_user_id } = c.req.valid("param");
    const guildId = c.req.valid("query").guild_id ?? null;
    if (!(await deleteBinding(c.env, discord_user_id, guildId)))
      throw new AppError(
        404,
        "discord_binding_not_found",
        `no binding for Discord user '${discord_user_id}'${guildId ? ` in guild '${guildId}'` : ""}`,
      );
    return c.body(null, 204);
  })
  .openapi(list, async (c) => c.json({ bindings: await listBindings(c.env, c.req.valid("query").limit) }, 200));
