/**
 * Every protected route, table-driven: no credentials → 401, a credential without the route's scope → 403,
 * the route's own scope (and admin) → the route's own answer, bad input → 400 naming the field. A last test
 * fails if a route in /openapi.json is missing from the table.
 */
import { describe, it } from "vitest";
import { ADMIN, call, json, registerBot, token } from "./helpers";

/** What a route answers once past auth: a status, or a status with the error code its handler gives. */
type Answer = number | [status: number, code: string];

interface RouteCase {
  method: string;
  path: string;
  scope: string;
  body?: unknown;
  /** The answer to the route's own scope (the table's ids name nothing that exists, hence the 404s). */
  through: Answer;
  /** The answer to admin, called second, when it differs (e.g. a second register is an update). */
  throughAdmin?: Answer;
  bad?: { path?: string; body?: unknown; query?: string; field: string; code?: string };
  /** A non-JSON content type the route refuses with 415 (default text/plain; a route may take text/plain SQL). */
  nonJsonType?: string;
}

const BOT = "00000000-0000-5000-8000-000000000000";
const CHAINBOT_WORKFLOW = {
  name: "route-auth",
  steps: [{ id: "s", type: "transform", output: { ok: "true" } }],
};
const ITEM = "00000000-0000-4000-8000-000000000000";
const DISCORD_USER = "300000000000000099";
const FINGERPRINT = "0".repeat(64);

const ROUTES: RouteCase[] = [
  {
    method: "POST",
    path: "/v1/botz/register",
    through: 201,
    throughAdmin: 200,
    scope: "botz:write",
    body: { botz_name: "b", instance_id: "x", skill_level: "basic" },
    bad: { body: { botz_name: "b", instance_id: "x", skill_level: "wizard" }, field: "body.skill_level" },
  },
  {
    method: "POST",
    path: "/v1/botz/heartbeat",
    through: [404, "botz_not_found"],
    scope: "botz:write",
    body: { botz_id: BOT },
    bad: { body: { botz_id: BOT, status: "stale" }, field: "body.status" },
  },
  {
    method: "GET",
    path: "/v1/botz/instances",
    through: 200,
    scope: "botz:read",
    bad: { query: "?limit=0", field: "query.limit" },
  },
  {
    method: "GET",
    path: `/v1/botz/${BOT}`,
    through: [404, "botz_not_found"],
    scope: "botz:read",
    bad: { path: `/v1/botz/${"x".repeat(300)}`, field: "param.botz_id" },
  },
  {
    method: "POST",
    path: "/v1/workitems",
    through: 201,
    scope: "workitems:write",
    body: { title: "t" },
    bad: { body: { items: [{ title: "" }] }, field: "body.items.0.title" },
  },
  {
    method: "POST",
    path: "/v1/workitems/list",
    through: 200,
    scope: "workitems:read",
    body: {},
    bad: { body: { limit: 100000 }, field: "body.limit" },
  },
  {
    method: "POST",
    path: "/v1/workitems/claim",
    through: [404, "botz_not_found"],
    scope: "workitems:claim",
    body: { botz_id: BOT },
    bad: { body: { work_item_id: ITEM }, field: "body.botz_id" },
  },
  {
    method: "POST",
    path: "/v1/workitems/complete",
    through: [404, "work_item_not_found"],
    scope: "workitems:claim",
    body: { work_item_id: ITEM, botz_id: BOT, fencing_token: 1 },
    bad: { body: { work_item_id: ITEM, botz_id: BOT, fencing_token: "one" }, field: "body.fencing_token" },
  },
  {
    method: "GET",
    path: `/v1/workitems/${ITEM}`,
    through: [404, "work_item_not_found"],
    scope: "workitems:read",
    bad: { path: `/v1/workitems/${"y".repeat(300)}`, field: "param.work_item_id" },
  },
  { method: "GET", path: "/v1/stats", through: 200, scope: "botz:read" },
  { method: "GET", path: "/metrics", through: 200, scope: "metrics:read" },
  {
    method: "POST",
    path: "/v1/admin/api-keys",
    through: 201,
    scope: "admin",
    body: { name: "k", scopes: ["botz:read"] },
    bad: { body: { name: "k", scopes: ["root"] }, field: "body.scopes.0" },
  },
  { method: "GET", path: "/v1/admin/api-keys", through: 200, scope: "admin" },
  {
    method: "DELETE",
    path: `/v1/admin/api-keys/${ITEM}`,
    through: [404, "api_key_not_found"],
    scope: "admin",
    bad: { path: "/v1/admin/api-keys/not-a-uuid", field: "param.id" },
  },
  {
    method: "PUT",
    path: "/api/v1/config/rate_limits",
    through: 200,
    scope: "admin",
    body: { limits: [{ key: "route-auth:*", capacity: 100, refill_rate: "100/hour", burst_capacity: 10 }] },
    bad: {
      body: { limits: [{ key: "k", capacity: 1, refill_rate: "5/fortnight", burst_capacity: 1 }] },
      field: "body.limits.0.refill_rate",
    },
  },
  { method: "GET", path: "/api/v1/config/rate_limits", through: 200, scope: "admin" },
  {
    method: "POST",
    path: "/api/v1/resources/request",
    through: 200,
    scope: "resources:request",
    body: { component: "auth", type: "GPU_COMPUTE", amount: 1, duration_ms: 1000 },
    bad: { body: { component: "auth", type: "GPU_COMPUTE", amount: 0, duration_ms: 1000 }, field: "body.amount" },
  },
  {
    method: "POST",
    path: "/api/v1/resources/release",
    through: [404, "grant_not_found"],
    scope: "resources:request",
    body: { grant_id: ITEM },
    bad: { body: { grant_id: "" }, field: "body.grant_id" },
  },
  { method: "GET", path: "/api/v1/resources/status", through: 200, scope: "resources:read" },
  {
    method: "GET",
    path: `/api/v1/resources/requests/${ITEM}`,
    through: [404, "request_not_found"],
    scope: "resources:read",
    bad: { path: "/api/v1/resources/requests/not-a-uuid", field: "param.request_id" },
  },
  {
    method: "DELETE",
    path: `/api/v1/resources/requests/${ITEM}`,
    through: [404, "request_not_found"],
    scope: "resources:request",
    bad: { path: "/api/v1/resources/requests/not-a-uuid", field: "param.request_id" },
  },
  {
    method: "GET",
    path: "/api/v1/events/stream",
    through: 200,
    scope: "events:read",
    bad: { query: "?since=-1", field: "query.since" },
  },
  {
    method: "POST",
    path: "/graphql",
    through: 200,
    scope: "knowledge:read",
    body: { query: "{ entities(first: 1) { name } }" },
    bad: { body: { query: "" }, field: "body.query" },
  },
  {
    method: "GET",
    path: "/graphql?query=%7B%20entities(first%3A%201)%20%7B%20name%20%7D%20%7D",
    through: 200,
    scope: "knowledge:read",
    bad: { path: "/graphql", query: "?query=", field: "query.query" },
  },
  {
    method: "GET",
    path: "/ws/knowledge",
    through: 200,
    scope: "knowledge:read",
    bad: { query: "?since=-1", field: "query.since" },
  },
  {
    method: "GET",
    path: "/ws/metrics",
    through: 200,
    scope: "metrics:read",
    bad: { query: "?since=-1", field: "query.since" },
  },
  {
    method: "POST",
    path: "/api/v1/query",
    through: 200,
    scope: "metrics:read",
    body: { sql: "SELECT count(*) AS n FROM analytics_events" },
    bad: { body: { sql: "" }, field: "body.sql" },
    nonJsonType: "application/xml",
  },
  {
    method: "POST",
    path: "/api/v1/events",
    through: 202,
    scope: "events:publish",
    body: { type: "route.auth.v1", source: "route-auth", payload: {} },
    bad: {
      body: { type: "GAME_STATE", source: "s", payload: { ante: "x" } },
      field: "body.payload.ante",
      code: "invalid_payload",
    },
  },
  {
    method: "GET",
    path: "/api/v1/events",
    through: 200,
    scope: "events:read",
    bad: { query: "?limit=0", field: "query.limit" },
  },
  {
    method: "GET",
    path: `/api/v1/events/${ITEM}`,
    through: [404, "event_not_found"],
    scope: "events:read",
    bad: { path: "/api/v1/events/not-a-uuid", field: "param.event_id" },
  },
  {
    method: "GET",
    path: "/api/v1/dead-letters",
    through: 200,
    scope: "events:read",
    bad: { query: "?limit=0", field: "query.limit" },
  },
  {
    method: "POST",
    path: `/api/v1/dead-letters/${ITEM}/replay`,
    through: [404, "dead_letter_not_found"],
    scope: "events:replay",
    bad: { path: "/api/v1/dead-letters/not-a-uuid/replay", field: "param.id" },
  },
  {
    method: "POST",
    path: "/api/v1/dead-letters/replay",
    through: 200,
    scope: "events:replay",
    body: {},
    bad: { body: { limit: 0 }, field: "body.limit" },
  },
  // sub "tester" (every test token's) is the device id here: past auth, a plain GET is then 426, not 401/403.
  {
    method: "GET",
    path: "/api/v1/edge/tester/connect",
    through: [426, "upgrade_required"],
    scope: "edge:device",
    bad: { path: "/api/v1/edge/Not_A_Device/connect", field: "param.device_id" },
  },
  {
    method: "POST",
    path: "/api/v1/edge/tester/poll?wait=0",
    through: 200,
    scope: "edge:device",
    body: { messages: [] },
    bad: { body: { messages: [{ type: "ack", seq: 0 }] }, field: "body.messages.0.seq" },
  },
  {
    method: "POST",
    path: "/api/v1/edge/devices/tester/commands",
    through: 201,
    scope: "edge:command",
    body: { name: "telemetry.read", args: {} },
    bad: { body: { name: "gpio.write", args: { pin: 99, value: 1 } }, field: "body.args.pin" },
  },
  {
    method: "GET",
    path: "/api/v1/edge/devices/tester/commands",
    through: 200,
    scope: "edge:read",
    bad: { query: "?limit=0", field: "query.limit" },
  },
  {
    method: "GET",
    path: `/api/v1/edge/devices/tester/commands/${ITEM}`,
    through: [404, "command_not_found"],
    scope: "edge:read",
    bad: { path: `/api/v1/edge/devices/tester/commands/${"x".repeat(300)}`, field: "param.command_id" },
  },
  {
    method: "GET",
    path: "/api/v1/edge/devices",
    through: 200,
    scope: "edge:read",
    bad: { query: "?online=maybe", field: "query.online" },
  },
  // "unseen" names a device that never connected (sub "tester" polls above, so it is known): 404 past auth.
  {
    method: "GET",
    path: "/api/v1/edge/devices/unseen",
    through: [404, "device_not_found"],
    scope: "edge:read",
    bad: { path: "/api/v1/edge/devices/Not_A_Device", field: "param.device_id" },
  },
  {
    method: "GET",
    path: "/api/v1/edge/devices/unseen/telemetry",
    through: [404, "device_not_found"],
    scope: "edge:read",
    bad: { query: "?since=yesterday", field: "query.since" },
  },
  // No `body`: this route also takes text/plain TOML, so the shared "non-JSON body → 415" case does not apply.
  {
    method: "PUT",
    path: "/api/v1/models/config",
    through: [400, "invalid_input"],
    scope: "admin",
    bad: { body: { toml: 5 }, field: "body.toml" },
  },
  { method: "GET", path: "/api/v1/models/config", through: 200, scope: "models:read" },
  {
    method: "POST",
    path: "/inference",
    through: [404, "unknown_model"],
    scope: "models:infer",
    body: { model_name: "no-such-model", input: { messages: [] } },
    bad: { body: { input: { messages: [] } }, field: "body.function_name" },
  },
  {
    method: "POST",
    path: "/openai/v1/chat/completions",
    through: [404, "unknown_model"],
    scope: "models:infer",
    body: { model: "no-such-model", messages: [{ role: "user", content: "hi" }] },
    bad: { body: { model: "x", messages: [] }, field: "body.messages" },
  },
  {
    method: "POST",
    path: "/openai/v1/embeddings",
    through: [404, "unknown_model"],
    scope: "models:infer",
    body: { model: "no-such-model", input: "hi" },
    bad: { body: { model: "x" }, field: "body.input" },
  },
  { method: "GET", path: "/openai/v1/models", through: 200, scope: "models:infer" },
  {
    method: "POST",
    path: "/feedback",
    through: [400, "invalid_input"],
    scope: "models:feedback",
    body: { metric_name: "m", inference_id: ITEM, value: true },
    bad: { body: { metric_name: "m", value: true }, field: "body.inference_id" },
  },
  {
    method: "GET",
    path: "/inferences",
    through: 200,
    scope: "models:read",
    bad: { query: "?limit=0", field: "query.limit" },
  },
  {
    method: "GET",
    path: `/inferences/${ITEM}`,
    through: [404, "inference_not_found"],
    scope: "models:read",
    bad: { path: "/inferences/not-a-uuid", field: "param.inference_id" },
  },
  {
    method: "GET",
    path: `/episodes/${ITEM}`,
    through: [404, "episode_not_found"],
    scope: "models:read",
    bad: { path: "/episodes/not-a-uuid", field: "param.episode_id" },
  },
  {
    method: "POST",
    path: "/chat",
    through: [404, "session_not_found"],
    scope: "chat:write",
    body: { message: "hi", session_id: ITEM },
    bad: { body: { message: "" }, field: "body.message" },
  },
  // Like the edge connect route: past auth, a plain GET (no Upgrade) is 426.
  {
    method: "GET",
    path: "/ws",
    through: [426, "upgrade_required"],
    scope: "chat:write",
    bad: { query: "?surface=moon", field: "query.surface" },
  },
  {
    method: "GET",
    path: `/session/${ITEM}`,
    through: [404, "session_not_found"],
    scope: "chat:read",
    bad: { path: "/session/not-a-uuid", field: "param.id" },
  },
  // PUT before DELETE: the admin call of PUT replaces what its scoped call created, DELETE then removes it.
  {
    method: "PUT",
    path: `/api/v1/chat/discord-bindings/${DISCORD_USER}`,
    through: 201,
    throughAdmin: 200,
    scope: "admin",
    body: { user_id: "route-auth" },
    bad: { body: { workspace_id: "w" }, field: "body.user_id" },
  },
  {
    method: "GET",
    path: "/api/v1/chat/discord-bindings",
    through: 200,
    scope: "admin",
    bad: { query: "?limit=0", field: "query.limit" },
  },
  {
    method: "DELETE",
    path: `/api/v1/chat/discord-bindings/${DISCORD_USER}`,
    through: 204,
    throughAdmin: [404, "discord_binding_not_found"],
    scope: "admin",
    bad: { path: "/api/v1/chat/discord-bindings/not-a-snowflake", field: "param.discord_user_id" },
  },
  {
    method: "PUT",
    path: "/api/v1/chat/phone-bindings/+15550000000",
    through: 201,
    throughAdmin: 200,
    scope: "admin",
    body: { user_id: "route-auth" },
    bad: { body: { user_id: "route-auth", trust_mode: 4 }, field: "body.trust_mode" },
  },
  { method: "GET", path: "/api/v1/chat/phone-bindings", through: 200, scope: "admin" },
  {
    method: "GET",
    path: "/api/v1/chat/sessions",
    through: 200,
    scope: "admin",
    bad: { query: "?limit=0", field: "query.limit" },
  },
  {
    method: "GET",
    path: `/api/v1/chat/sessions/${ITEM}/transcript`,
    through: [404, "session_not_found"],
    scope: "admin",
    bad: { query: "?limit=201", field: "query.limit" },
  },
  {
    method: "GET",
    path: `/api/v1/chat/workspaces/${ITEM}/scheduled-jobs`,
    through: 200,
    scope: "admin",
    bad: { path: `/api/v1/chat/workspaces/${"x".repeat(300)}/scheduled-jobs`, field: "param.id" },
  },
  {
    method: "GET",
    path: `/api/v1/chat/workspaces/${ITEM}/costs`,
    through: [404, "workspace_not_found"],
    throughAdmin: 200,
    scope: "chat:read",
    bad: { path: `/api/v1/chat/workspaces/${"x".repeat(300)}/costs`, field: "param.id" },
  },
  {
    method: "PUT",
    path: `/api/v1/chat/workspaces/${ITEM}/budget`,
    through: 200,
    scope: "admin",
    body: { monthly_usd: 5 },
    bad: { body: { monthly_usd: -1 }, field: "body.monthly_usd" },
  },
  {
    method: "POST",
    path: `/workspace/${ITEM}/sync`,
    through: [404, "workspace_not_found"],
    scope: "chat:write",
    body: {},
    bad: { body: { trust_mode: 9 }, field: "body.trust_mode" },
  },
  {
    method: "DELETE",
    path: "/api/v1/chat/phone-bindings/+15550000001",
    through: [404, "phone_binding_not_found"],
    scope: "admin",
    bad: { path: "/api/v1/chat/phone-bindings/5550000001", field: "param.phone" },
  },
  {
    method: "GET",
    path: "/api/v1/chat/scheduled-jobs",
    through: 200,
    scope: "chat:read",
    bad: { query: "?trust_mode=4", field: "query.trust_mode" },
  },
  {
    method: "POST",
    path: "/api/v1/chat/scheduled-jobs",
    through: 201,
    scope: "chat:write",
    body: { type: "standup", schedule: "0 9 * * 1-5" },
    bad: { body: { type: "standup", schedule: "61 9 * * *" }, field: "body.schedule" },
  },
  {
    method: "GET",
    path: `/api/v1/chat/scheduled-jobs/${ITEM}`,
    through: [404, "scheduled_job_not_found"],
    scope: "chat:read",
    bad: { path: "/api/v1/chat/scheduled-jobs/not-a-uuid", field: "param.id" },
  },
  {
    method: "PATCH",
    path: `/api/v1/chat/scheduled-jobs/${ITEM}`,
    through: [404, "scheduled_job_not_found"],
    scope: "chat:write",
    body: { enabled: false },
    bad: { body: { type: "nap" }, field: "body.type" },
  },
  {
    method: "DELETE",
    path: `/api/v1/chat/scheduled-jobs/${ITEM}`,
    through: [404, "scheduled_job_not_found"],
    scope: "chat:write",
    bad: { path: "/api/v1/chat/scheduled-jobs/not-a-uuid", field: "param.id" },
  },
  {
    method: "GET",
    path: "/api/v1/chat/preferences",
    through: 200,
    scope: "chat:read",
    bad: { query: "?surface=fax", field: "query.surface" },
  },
  {
    method: "PUT",
    path: "/api/v1/chat/preferences",
    through: 200,
    scope: "chat:write",
    body: { time_zone: "Europe/Lisbon" },
    bad: { body: { time_zone: "Mars/Olympus_Mons" }, field: "body.time_zone" },
  },
  {
    method: "GET",
    path: "/api/chainbot/workflows",
    through: 200,
    scope: "chainbot:read",
    bad: { query: "?limit=0", field: "query.limit" },
  },
  {
    method: "POST",
    path: "/api/chainbot/workflows",
    through: 201,
    scope: "chainbot:workflow:create",
    body: CHAINBOT_WORKFLOW,
    bad: { body: { name: "w", steps: [{ id: "a", type: "teleport" }] }, field: "steps[0] (a).type" },
  },
  {
    method: "GET",
    path: `/api/chainbot/workflows/${ITEM}`,
    through: [404, "workflow_not_found"],
    scope: "chainbot:read",
    bad: { query: "?version=0", field: "query.version" },
  },
  {
    method: "PUT",
    path: `/api/chainbot/workflows/${ITEM}`,
    through: [404, "workflow_not_found"],
    scope: "chainbot:workflow:create",
    body: CHAINBOT_WORKFLOW,
    bad: {
      body: { name: "w", steps: [{ id: "c", type: "condition", expression: "true", true_steps: ["nope"] }] },
      field: "steps[0] (c).true_steps[0]",
    },
  },
  {
    method: "DELETE",
    path: `/api/chainbot/workflows/${ITEM}`,
    through: [404, "workflow_not_found"],
    scope: "chainbot:workflow:delete",
    bad: { path: `/api/chainbot/workflows/${"w".repeat(101)}`, field: "param.id" },
  },
  {
    method: "POST",
    path: `/api/chainbot/workflows/${ITEM}/execute`,
    through: [404, "workflow_not_found"],
    scope: "chainbot:workflow:execute",
    body: { input_data: {} },
    bad: { body: { input_data: [1] }, field: "body.input_data" },
  },
  {
    method: "GET",
    path: `/api/chainbot/workflows/${ITEM}/executions`,
    through: 200,
    scope: "chainbot:read",
    bad: { query: "?status=lost", field: "query.status" },
  },
  {
    method: "GET",
    path: `/api/chainbot/executions/${ITEM}`,
    through: [404, "execution_not_found"],
    scope: "chainbot:read",
    bad: { path: `/api/chainbot/executions/${"x".repeat(65)}`, field: "param.id" },
  },
  {
    method: "GET",
    path: `/api/chainbot/executions/${ITEM}/live`,
    through: [426, "upgrade_required"],
    scope: "chainbot:read",
    bad: { path: `/api/chainbot/executions/${"x".repeat(65)}/live`, field: "param.id" },
  },
  {
    method: "POST",
    path: `/api/chainbot/executions/${ITEM}/cancel`,
    through: [404, "execution_not_found"],
    scope: "chainbot:workflow:execute",
    bad: { path: `/api/chainbot/executions/${"x".repeat(65)}/cancel`, field: "param.id" },
  },
  {
    method: "POST",
    path: `/api/chainbot/executions/${ITEM}/pause`,
    through: [404, "execution_not_found"],
    scope: "chainbot:workflow:execute",
    bad: { path: `/api/chainbot/executions/${"x".repeat(65)}/pause`, field: "param.id" },
  },
  {
    method: "POST",
    path: `/api/chainbot/executions/${ITEM}/resume`,
    through: [404, "execution_not_found"],
    scope: "chainbot:workflow:execute",
    bad: { path: `/api/chainbot/executions/${"x".repeat(65)}/resume`, field: "param.id" },
  },
  {
    method: "POST",
    path: `/api/chainbot/executions/${ITEM}/events`,
    through: [404, "execution_not_found"],
    scope: "chainbot:workflow:execute",
    body: { name: "payment_received" },
    bad: { body: { name: "" }, field: "body.name" },
  },
  {
    method: "POST",
    path: `/api/chainbot/executions/${ITEM}/approve`,
    through: [404, "execution_not_found"],
    scope: "chainbot:workflow:execute",
    body: { decision: "approved" },
    bad: { body: { decision: "maybe" }, field: "body.decision" },
  },
  { method: "GET", path: "/api/chainbot/config", through: 200, scope: "chainbot:admin" },
  {
    method: "PATCH",
    path: "/api/chainbot/config",
    through: 200,
    scope: "chainbot:admin",
    // Removing an override that is not there: past auth it answers 200 and leaves the config as it was.
    body: { "workflow.retry_attempts": null },
    bad: { body: { "workflow.retry_attempts": "three" }, field: "body.workflow.retry_attempts" },
  },
  // No `body`: this route also takes YAML and TOML, so the shared "non-JSON body → 415" case does not apply.
  {
    method: "PUT",
    path: "/api/chainbot/config/files/route-auth",
    through: [400, "invalid_input"],
    scope: "chainbot:admin",
    bad: {
      body: { workflow: { max_concurrent_executions: "lots" } },
      field: "workflow.max_concurrent_executions",
      code: "invalid_config",
    },
  },
  {
    method: "DELETE",
    path: "/api/chainbot/config/files/route-auth",
    through: [404, "config_file_not_found"],
    scope: "chainbot:admin",
    bad: { path: "/api/chainbot/config/files/-bad", field: "param.name" },
  },
  {
    method: "GET",
    path: "/api/chainbot/audit",
    through: 200,
    scope: "chainbot:admin",
    bad: { query: "?outcome=maybe", field: "query.outcome" },
  },
  { method: "GET", path: "/api/chainbot/info", through: 200, scope: "chainbot:read" },
  { method: "GET", path: "/api/chainbot/health", through: 200, scope: "chainbot:read" },
  { method: "GET", path: "/api/chainbot/metrics", through: 200, scope: "chainbot:read" },
  {
    method: "GET",
    path: "/api/chainbot/executions",
    through: 200,
    scope: "chainbot:read",
    bad: { query: "?workflow_id=" + "w".repeat(101), field: "query.workflow_id" },
  },
  // JimBot services (seed 002). The advisor's body fails validation after auth: a valid one would ask the bundled
  // gateway, which has no provider here (503), and the advisor itself is tested in jimbot-advisor*.test.ts.
  {
    method: "POST",
    path: "/api/v1/strategies",
    through: [400, "invalid_input"],
    scope: "models:infer",
    body: { game_state: { ante: "three" } },
    bad: { body: { game_state: {}, timeout_ms: 5001 }, field: "body.timeout_ms" },
  },
  {
    method: "GET",
    path: "/api/v1/strategies/cache",
    through: 200,
    scope: "models:read",
    bad: { query: "?limit=0", field: "query.limit" },
  },
  {
    method: "DELETE",
    path: `/api/v1/strategies/cache/${FINGERPRINT}`,
    through: [404, "not_found"],
    scope: "admin",
    bad: { path: "/api/v1/strategies/cache/not-hex", field: "param.fingerprint" },
  },
  { method: "DELETE", path: "/api/v1/strategies/cache", through: 200, scope: "admin" },
  {
    method: "POST",
    path: "/api/v1/decisions?model_id=fast",
    through: 200,
    scope: "models:infer",
    body: { request_id: "route-auth", available_actions: ["play_hand"] },
    bad: { body: { available_actions: ["play_hand"] }, field: "body.request_id" },
  },
  {
    method: "GET",
    path: "/api/v1/decisions/stream",
    through: [426, "upgrade_required"],
    scope: "models:infer",
    bad: { query: "?model_id=bad!", field: "query.model_id" },
  },
  {
    method: "POST",
    path: "/api/v1/training/jobs",
    through: 201,
    scope: "workitems:write",
    body: { model_id: "route-auth" },
    bad: { body: { model_id: "route-auth", max_memory_mb: 0 }, field: "body.max_memory_mb" },
  },
  { method: "GET", path: "/api/v1/training/jobs/route-auth", through: [404, "not_found"], scope: "workitems:read" },
  {
    method: "GET",
    path: "/api/v1/models/route-auth/metrics",
    through: [404, "not_found"],
    scope: "models:read",
    bad: { path: "/api/v1/models/bad!/metrics", field: "param.model_id" },
  },
  // Stop before start, so the table leaves ChainBot running.
  { method: "POST", path: "/api/chainbot/stop", through: 200, scope: "chainbot:admin" },
  { method: "POST", path: "/api/chainbot/start", through: 200, scope: "chainbot:admin" },
  {
    method: "GET",
    path: "/api/chainbot/agents",
    through: 200,
    scope: "chainbot:read",
    bad: { query: "?limit=0", field: "query.limit" },
  },
  {
    method: "POST",
    path: "/api/chainbot/agents",
    through: 201,
    scope: "chainbot:agent:spawn",
    body: { agent_type: "workflow", config: { name: "route-auth" } },
    bad: { body: { agent_type: "assistant", config: { name: "a", personality: 5 } }, field: "body.config.personality" },
  },
  {
    method: "GET",
    path: `/api/chainbot/agents/${ITEM}`,
    through: [404, "agent_not_found"],
    scope: "chainbot:read",
    bad: { path: "/api/chainbot/agents/not-a-uuid", field: "param.id" },
  },
  {
    method: "DELETE",
    path: `/api/chainbot/agents/${ITEM}`,
    through: [404, "agent_not_found"],
    scope: "chainbot:agent:terminate",
    bad: { path: "/api/chainbot/agents/not-a-uuid", field: "param.id" },
  },
  {
    method: "GET",
    path: "/api/chainbot/entanglements",
    through: 200,
    scope: "chainbot:read",
    bad: { query: "?limit=0", field: "query.limit" },
  },
  {
    method: "POST",
    path: "/api/chainbot/entanglements",
    through: 201,
    scope: "chainbot:entanglement:manage",
    body: { name: "route-auth" },
    bad: { body: { name: "" }, field: "body.name" },
  },
  {
    method: "GET",
    path: `/api/chainbot/entanglements/${ITEM}`,
    through: [404, "entanglement_not_found"],
    scope: "chainbot:read",
    bad: { path: "/api/chainbot/entanglements/not-a-uuid", field: "param.id" },
  },
  {
    method: "POST",
    path: `/api/chainbot/entanglements/${ITEM}/agents`,
    through: [404, "entanglement_not_found"],
    scope: "chainbot:entanglement:manage",
    body: { agent_id: ITEM },
    bad: { body: { agent_id: "x" }, field: "body.agent_id" },
  },
  {
    method: "DELETE",
    path: `/api/chainbot/entanglements/${ITEM}/agents/${ITEM}`,
    through: [404, "entanglement_not_found"],
    scope: "chainbot:entanglement:manage",
    bad: { path: `/api/chainbot/entanglements/${ITEM}/agents/x`, field: "param.agent_id" },
  },
  {
    method: "POST",
    path: `/api/chainbot/entanglements/${ITEM}/messages`,
    through: [404, "entanglement_not_found"],
    scope: "chainbot:entanglement:manage",
    body: { sender_id: ITEM, content: "hi" },
    bad: { body: { sender_id: ITEM, content: "hi", message_type: "gossip" }, field: "body.message_type" },
  },
  {
    method: "GET",
    path: `/api/chainbot/entanglements/${ITEM}/messages`,
    through: [404, "entanglement_not_found"],
    scope: "chainbot:read",
    bad: { query: "?limit=0", field: "query.limit" },
  },
  {
    // Without an Upgrade header the route answers 426 once past auth.
    method: "GET",
    path: `/api/chainbot/entanglements/${ITEM}/ws`,
    through: [426, "upgrade_required"],
    scope: "chainbot:read",
    bad: { query: "?member=x", field: "query.member" },
  },
];

/** Not Bearer-authenticated: /discord/interactions is verified by Discord's Ed25519 signature instead. */
const PUBLIC = ["GET /healthz", "GET /health", "GET /openapi.json", "POST /discord/interactions"];
/** Any valid credential, whatever its scopes (the caller describing itself): whoami.test.ts covers its 401s. */
const ANY_PRINCIPAL = ["GET /api/v1/whoami"];
/** Twilio webhooks: authenticated by X-Twilio-Signature, not a Bearer token (403 unsigned, tested below). */
const SIGNED_WEBHOOKS = [
  "POST /sms/inbound",
  "POST /voice/inbound",
  "POST /voice/inbound/answer",
  "POST /voice/inbound/wait",
];

describe("signed webhooks", () => {
  for (const op of SIGNED_WEBHOOKS) {
    const [method = "POST", path = "/"] = op.split(" ");
    it(`${op} should answer 403 to an unsigned request, even with an admin Bearer token`, async ({ expect }) => {
      for (const auth of [undefined, await ADMIN()]) {
        const res = await call(path === "/voice/inbound/wait" ? `${path}?turn=${ITEM}` : path, {
          method,
          body: "MessageSid=SM0&From=%2B15550000000",
          token: auth,
          headers: { "content-type": "application/x-www-form-urlencoded" },
        });
        expect(res.status).toBe(403);
        expect((await json<{ error: { code: string } }>(res)).error.code).toBe("invalid_twilio_signature");
      }
    });
  }
});

function otherScope(scope: string): string {
  return scope === "botz:read" ? "workitems:read" : "botz:read";
}

describe("protected routes", () => {
  for (const route of ROUTES) {
    describe(`${route.method} ${route.path.replace(/[0-9a-f-]{36}/, "{id}")}`, () => {
      it("should answer 401 in the error shape without credentials", async ({ expect }) => {
        const res = await call(route.path, { method: route.method, body: route.body });
        expect(res.status).toBe(401);
        const body = await json<{ error: { code: string; message: string } }>(res);
        expect(body.error.code).toBe("unauthorized");
      });

      it("should answer 401 for a token signed with another secret", async ({ expect }) => {
        const forged = await token(["admin"], { secret: "not-the-secret-not-the-secret-xx" });
        const res = await call(route.path, { method: route.method, body: route.body, token: forged });
        expect(res.status).toBe(401);
      });

      it("should answer 403 naming the scope when the token lacks it", async ({ expect }) => {
        const res = await call(route.path, {
          method: route.method,
          body: route.body,
          token: await token([otherScope(route.scope)]),
        });
        expect(res.status).toBe(403);
        const body = await json<{ error: { code: string; details: { required: string } } }>(res);
        expect(body.error.code).toBe("forbidden");
        expect(body.error.details.required).toBe(route.scope);
      });

      it("should let the route's own scope and admin through auth to the route's own answer", async ({ expect }) => {
        const cases: [string, string, Answer][] = [
          [route.scope, await token([route.scope]), route.through],
          ["admin", await ADMIN(), route.throughAdmin ?? route.through],
        ];
        for (const [who, auth, answer] of cases) {
          const res = await call(route.path, { method: route.method, body: route.body, token: auth });
          const [status, code] = typeof answer === "number" ? [answer, undefined] : answer;
          // Exact, not "neither 401 nor 403": a 500 (or any other surprise) past auth must fail here.
          expect(res.status, `${who}: ${res.status}`).toBe(status);
          if (code === undefined) await res.body?.cancel();
          else expect((await json<{ error: { code: string } }>(res)).error.code, who).toBe(code);
        }
      });

      if (route.bad) {
        const bad = route.bad;
        it(`should answer 400 naming ${bad.field} for bad input`, async ({ expect }) => {
          const path = (bad.path ?? route.path) + (bad.query ?? "");
          const res = await call(path, { method: route.method, body: bad.body, token: await ADMIN() });
          expect(res.status).toBe(400);
          const body = await json<{
            error: { code: string; message: string; details: { issues: { field: string }[] } };
          }>(res);
          expect(body.error.code).toBe(bad.code ?? "invalid_input");
          expect(body.error.message).toContain(bad.field);
          expect(body.error.details.issues.map((i) => i.field)).toContain(bad.field);
        });
      }

      if (route.body !== undefined) {
        it("should answer 400 for malformed JSON and 415 for a non-JSON body", async ({ expect }) => {
          const auth = await ADMIN();
          const malformed = await call(route.path, { method: route.method, body: "{not json", token: auth });
          expect(malformed.status).toBe(400);
          const wrongType = await call(route.path, {
            method: route.method,
            body: "a=b",
            token: auth,
            headers: { "content-type": route.nonJsonType ?? "text/plain" },
          });
          expect(wrongType.status).toBe(415);
          expect((await json<{ error: { code: string } }>(wrongType)).error.code).toBe("unsupported_media_type");
        });
      }
    });
  }

  it("should cover every operation in /openapi.json", async ({ expect }) => {
    const doc = await json<{ paths: Record<string, Record<string, unknown>> }>(await call("/openapi.json"));
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    const tested = new Set([
      ...PUBLIC,
      ...ANY_PRINCIPAL,
      ...SIGNED_WEBHOOKS,
      ...ROUTES.map(
        (r) =>
          `${r.method} ${r.path
            .replace(`/v1/botz/${BOT}`, "/v1/botz/{botz_id}")
            .replace(`/v1/workitems/${ITEM}`, "/v1/workitems/{work_item_id}")
            .replace(`/v1/admin/api-keys/${ITEM}`, "/v1/admin/api-keys/{id}")
            .replace(`/api/v1/resources/requests/${ITEM}`, "/api/v1/resources/requests/{request_id}")
            .replace(`/api/v1/events/${ITEM}`, "/api/v1/events/{event_id}")
            .replace(/^\/graphql\?.*$/, "/graphql")
            .replace(`/api/v1/dead-letters/${ITEM}/replay`, "/api/v1/dead-letters/{id}/replay")
            .replace(`/inferences/${ITEM}`, "/inferences/{inference_id}")
            .replace(`/episodes/${ITEM}`, "/episodes/{episode_id}")
            .replace(`/session/${ITEM}`, "/session/{id}")
            .replace(`/scheduled-jobs/${ITEM}`, "/scheduled-jobs/{id}")
            .replace(`/discord-bindings/${DISCORD_USER}`, "/discord-bindings/{discord_user_id}")
            .replace(/\/api\/v1\/chat\/phone-bindings\/\+\d+/, "/api/v1/chat/phone-bindings/{phone}")
            .replace(`/api/v1/chat/workspaces/${ITEM}/`, "/api/v1/chat/workspaces/{id}/")
            .replace(`/api/v1/chat/sessions/${ITEM}/`, "/api/v1/chat/sessions/{id}/")
            .replace(`/workspace/${ITEM}/sync`, "/workspace/{id}/sync")
            .replace("/api/v1/edge/tester/connect", "/api/v1/edge/{device_id}/connect")
            .replace("/api/v1/edge/tester/poll?wait=0", "/api/v1/edge/{device_id}/poll")
            .replace(`/commands/${ITEM}`, "/commands/{command_id}")
            .replace("/api/v1/edge/devices/tester/", "/api/v1/edge/devices/{device_id}/")
            .replace("/api/v1/edge/devices/unseen", "/api/v1/edge/devices/{device_id}")
            .replace(`/entanglements/${ITEM}/agents/${ITEM}`, "/entanglements/{id}/agents/{agent_id}")
            .replace(`/api/chainbot/entanglements/${ITEM}`, "/api/chainbot/entanglements/{id}")
            .replace(`/api/chainbot/agents/${ITEM}`, "/api/chainbot/agents/{id}")
            .replace(`/api/chainbot/workflows/${ITEM}`, "/api/chainbot/workflows/{id}")
            .replace(`/api/chainbot/executions/${ITEM}`, "/api/chainbot/executions/{id}")
            .replace("/api/chainbot/config/files/route-auth", "/api/chainbot/config/files/{name}")
            .replace(`/api/v1/strategies/cache/${FINGERPRINT}`, "/api/v1/strategies/cache/{fingerprint}")
            .replace("/api/v1/decisions?model_id=fast", "/api/v1/decisions")
            .replace("/api/v1/training/jobs/route-auth", "/api/v1/training/jobs/{id}")
            .replace("/api/v1/models/route-auth/metrics", "/api/v1/models/{model_id}/metrics")}`,
      ),
    ]);
    expect(documented.filter((op) => !tested.has(op))).toEqual([]);
  });

  it("should answer 401 to an unsigned POST /discord/interactions", async ({ expect }) => {
    const res = await call("/discord/interactions", { method: "POST", body: { type: 1 } });
    expect(res.status).toBe(401);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe("invalid_signature");
  });

  it("should expect no auth refusal and no 5xx from any route past auth", ({ expect }) => {
    const statusOf = (a: Answer) => (typeof a === "number" ? a : a[0]);
    const wrong = ROUTES.flatMap((r) => [r.through, r.throughAdmin ?? r.through].map(statusOf)).filter(
      (s) => s === 401 || s === 403 || s >= 500,
    );
    expect(wrong).toEqual([]);
  });

  it("should accept a bot registered with a scoped token end to end", async ({ expect }) => {
    const id = await registerBot("basic", await token(["botz:write"]));
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
