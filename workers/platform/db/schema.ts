/**
 * The D1 schema, all of it, in one place. `npm run db:generate` turns changes here into flat SQL
 * migrations in d1-migrations/.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    /** SHA-256 of the whole key, hex; the key itself is shown once and never stored. */
    keyHash: text("key_hash").notNull().unique(),
    /** The first characters of the key, so people can tell their keys apart. */
    prefix: text("prefix").notNull(),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at"),
    revokedAt: integer("revoked_at"),
    lastUsedAt: integer("last_used_at"),
  },
  (t) => [index("api_keys_created_at").on(t.createdAt)],
);

export const deadLetters = sqliteTable(
  "dead_letters",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id"),
    subject: text("subject"),
    queue: text("queue").notNull(),
    /** The whole message as it arrived (an envelope whose large payload may be an R2 reference). */
    body: text("body").notNull(),
    error: text("error"),
    /** The handler that failed, when one did. */
    handler: text("handler"),
    attempts: integer("attempts").notNull(),
    createdAt: integer("created_at")
      .notNull()
      .default(sql`(unixepoch() * 1000)`),
    replayedAt: integer("replayed_at"),
    replayCount: integer("replay_count").notNull().default(0),
  },
  (t) => [
    index("dead_letters_created_at").on(t.createdAt),
    index("dead_letters_subject").on(t.subject),
    index("dead_letters_event_id").on(t.eventId),
  ],
);

/**
 * Event history (seed 002's GetEventHistory). Rows stay slim: a payload past a few KB lives in R2 and the
 * row keeps its key (`payload_ref`). Inserted idempotently on `event_id`.
 */
export const events = sqliteTable(
  "events",
  {
    eventId: text("event_id").primaryKey(),
    subject: text("subject").notNull(),
    source: text("source").notNull(),
    correlationId: text("correlation_id").notNull(),
    /** Milliseconds since the epoch; the canonical timestamp in responses is ISO-8601 of this. */
    timestampMs: integer("timestamp_ms").notNull(),
    version: integer("version").notNull(),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, string>>().notNull(),
    /** JSON text of the payload when small enough to keep inline; null when it is in R2. */
    payload: text("payload"),
    payloadRef: text("payload_ref"),
    /** Extra top-level keys the publisher sent (JSON), kept as they came. */
    extensions: text("extensions", { mode: "json" }).$type<Record<string, unknown>>(),
    size: integer("size").notNull(),
    receivedAt: integer("received_at").notNull(),
  },
  (t) => [
    index("events_timestamp").on(t.timestampMs, t.eventId),
    index("events_subject_timestamp").on(t.subject, t.timestampMs),
    index("events_correlation_timestamp").on(t.correlationId, t.timestampMs),
    index("events_source_timestamp").on(t.source, t.timestampMs),
    index("events_received").on(t.receivedAt),
  ],
);

/**
 * The last failure of a message's handlers, so the dead-letter consumer can store the real error and
 * attempt count next to the message (the dead-letter queue itself carries only the body).
 */
export const deliveryFailures = sqliteTable("delivery_failures", {
  eventId: text("event_id").primaryKey(),
  handler: text("handler").notNull(),
  error: text("error").notNull(),
  attempts: integer("attempts").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** Which handler has applied which event: a redelivered event never applies a handler's effect twice. */
export const handlerLedger = sqliteTable(
  "handler_ledger",
  {
    eventId: text("event_id").notNull(),
    handler: text("handler").notNull(),
    appliedAt: integer("applied_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.handler] }), index("handler_ledger_applied").on(t.appliedAt)],
);

/** Per-key token-bucket limits set through `PUT /api/v1/config/rate_limits` (admin). */
export const rateLimits = sqliteTable("rate_limits", {
  key: text("key").primaryKey(),
  capacity: integer("capacity").notNull(),
  refillPerHour: real("refill_per_hour").notNull(),
  burstPerSecond: integer("burst_per_second").notNull(),
  updatedAt: integer("updated_at").notNull(),
  updatedBy: text("updated_by").notNull(),
});

export type ApiKeyRow = typeof apiKeys.$inferSelect;

/** Model gateway config stored through the admin route (validated before it is taken); newest wins. */
export const gatewayConfigs = sqliteTable("gateway_configs", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  toml: text("toml").notNull(),
  createdAt: integer("created_at").notNull(),
  createdBy: text("created_by").notNull(),
});

/** One row per inference (written off the request path, batched through the bus). Bodies are capped. */
export const inferences = sqliteTable(
  "inferences",
  {
    id: text("id").primaryKey(),
    episodeId: text("episode_id").notNull(),
    functionName: text("function_name"),
    variantName: text("variant_name"),
    provider: text("provider"),
    model: text("model"),
    tier: text("tier"),
    status: text("status").notNull(),
    attempts: text("attempts", { mode: "json" }).$type<unknown[]>().notNull(),
    inputTokens: integer("input_tokens"),
    outputTokens: integer("output_tokens"),
    cost: real("cost"),
    latencyMs: integer("latency_ms"),
    ttftMs: integer("ttft_ms"),
    cache: text("cache"),
    workspace: text("workspace"),
    tags: text("tags", { mode: "json" }).$type<Record<string, string>>(),
    request: text("request"),
    response: text("response"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("inferences_created").on(t.createdAt),
    index("inferences_episode").on(t.episodeId, t.createdAt),
    index("inferences_function").on(t.functionName, t.createdAt),
  ],
);

/** Feedback on an inference or an episode for a declared `[metrics.X]`. */
export const feedback = sqliteTable(
  "feedback",
  {
    id: text("id").primaryKey(),
    metricName: text("metric_name").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id").notNull(),
    value: text("value", { mode: "json" }).$type<unknown>().notNull(),
    tags: text("tags", { mode: "json" }).$type<Record<string, string>>(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("feedback_target").on(t.targetType, t.targetId)],
);

/** Exact-match and semantic inference caches (opt-in, TTL). */
export const inferenceCache = sqliteTable(
  "inference_cache",
  {
    key: text("key").primaryKey(),
    functionName: text("function_name").notNull(),
    /** JSON array of numbers for semantic entries; null for exact-match entries. */
    embedding: text("embedding", { mode: "json" }).$type<number[]>(),
    response: text("response").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("inference_cache_function").on(t.functionName, t.expiresAt)],
);

/** Recorded spend per provider and budget window (`day:2026-11-22`, `month:2026-11`). */
export const providerSpend = sqliteTable(
  "provider_spend",
  {
    provider: text("provider").notNull(),
    window: text("window").notNull(),
    cost: real("cost").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.window] })],
);

/**
 * Chat gateway (seed 003) memory store: the seed's MariaDB tables with its column names and enums. Every
 * memory row carries a `namespace`: `wb` for trust modes 0–2 and `wbs` for mode 3 (Sovereign), whose data
 * lower-mode sessions of the same founder never see. Times are epoch milliseconds.
 */
export const CHAT_NAMESPACES = ["wb", "wbs"] as const;
export const WORKSPACE_STAGES = ["idea", "launch", "growth"] as const;
export const SUMMARY_TYPES = ["weekly", "blockers", "plan", "decisions"] as const;

export const workspaces = sqliteTable(
  "workspaces",
  {
    id: text("id").notNull(),
    namespace: text("namespace", { enum: CHAT_NAMESPACES }).notNull().default("wb"),
    founderId: text("founder_id").notNull(),
    name: text("name"),
    stage: text("stage", { enum: WORKSPACE_STAGES }),
    profile: text("profile", { mode: "json" }).$type<Record<string, unknown>>(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.id, t.namespace] }), index("workspaces_founder").on(t.founderId)],
);

export const checklists = sqliteTable(
  "checklists",
  {
    id: text("id").primaryKey(),
    namespace: text("namespace", { enum: CHAT_NAMESPACES }).notNull().default("wb"),
    workspaceId: text("workspace_id").notNull(),
    title: text("title"),
    items: text("items", { mode: "json" }).$type<{ text: string; done: boolean }[]>(),
    priority: integer("priority"),
    /** Percent of items done, 0–100 with two decimals (the seed's DECIMAL(5,2)). */
    progress: real("progress"),
    dueDate: text("due_date"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("checklists_workspace").on(t.workspaceId, t.namespace)],
);

export const goals = sqliteTable(
  "goals",
  {
    id: text("id").primaryKey(),
    namespace: text("namespace", { enum: CHAT_NAMESPACES }).notNull().default("wb"),
    workspaceId: text("workspace_id").notNull(),
    title: text("title"),
    targetValue: real("target_value"),
    currentValue: real("current_value"),
    unit: text("unit"),
    deadline: text("deadline"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("goals_workspace").on(t.workspaceId, t.namespace)],
);

export const summaries = sqliteTable(
  "summaries",
  {
    id: text("id").primaryKey(),
    namespace: text("namespace", { enum: CHAT_NAMESPACES }).notNull().default("wb"),
    workspaceId: text("workspace_id").notNull(),
    type: text("type", { enum: SUMMARY_TYPES }).notNull(),
    content: text("content"),
    generatedAt: integer("generated_at").notNull(),
  },
  (t) => [index("summaries_workspace").on(t.workspaceId, t.namespace, t.type, t.generatedAt)],
);

/** One row per chat turn: the user's message and everything the assistant answered, tool calls included. */
export const transcripts = sqliteTable(
  "transcripts",
  {
    id: text("id").primaryKey(),
    namespace: text("namespace", { enum: CHAT_NAMESPACES }).notNull().default("wb"),
    sessionId: text("session_id").notNull(),
    workspaceId: text("workspace_id").notNull(),
    surface: text("surface"),
    messages: text("messages", { mode: "json" }).$type<unknown[]>().notNull(),
    createdAt: integer("created_at").notNull(),
    /** Who spoke and at what trust mode, for the operators' session list; null on rows from before 0018. */
    founderId: text("founder_id"),
    trustMode: integer("trust_mode"),
  },
  (t) => [
    index("transcripts_session").on(t.sessionId, t.createdAt),
    index("transcripts_workspace").on(t.workspaceId, t.namespace, t.createdAt),
    index("transcripts_founder").on(t.founderId, t.createdAt),
  ],
);

/**
 * The seed's `scheduled_jobs` (its columns verbatim) plus what running a job needs: the workspace and namespace
 * it belongs to (mode-3 jobs live in `wbs` like the rest of Sovereign data), the trust mode its turns open at,
 * and the chat session its prompts continue. `next_run` is the claim token of the cron tick (scheduler/tick.ts).
 */
export const SCHEDULED_JOB_TYPES = ["standup", "eod", "weekly", "monthly", "summary", "maintenance"] as const;
export const PROMPT_SURFACES = ["web", "sms"] as const;

export const scheduledJobs = sqliteTable(
  "scheduled_jobs",
  {
    id: text("id").primaryKey(),
    founderId: text("founder_id").notNull(),
    type: text("type", { enum: SCHEDULED_JOB_TYPES }),
    schedule: text("schedule"),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    lastRun: integer("last_run"),
    nextRun: integer("next_run"),
    namespace: text("namespace", { enum: CHAT_NAMESPACES }).notNull().default("wb"),
    workspaceId: text("workspace_id").notNull().default(""),
    trustMode: integer("trust_mode").notNull().default(0),
    sessionId: text("session_id"),
    createdAt: integer("created_at").notNull().default(0),
    updatedAt: integer("updated_at").notNull().default(0),
  },
  (t) => [
    index("scheduled_jobs_next_run").on(t.enabled, t.nextRun),
    index("scheduled_jobs_founder").on(t.founderId, t.namespace),
  ],
);

/** Per-founder scheduler preferences: the IANA time zone cron expressions are read in, and where prompts go. */
export const chatFounderPreferences = sqliteTable("chat_founder_preferences", {
  founderId: text("founder_id").primaryKey(),
  timeZone: text("time_zone").notNull().default("UTC"),
  promptSurface: text("prompt_surface", { enum: PROMPT_SURFACES }).notNull().default("web"),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * The trust enforcer's audit log: every access attempt to the chat gateway, allowed or denied. Credentials
 * and phone numbers are masked before they reach this table.
 */
export const chatAudit = sqliteTable(
  "chat_audit",
  {
    id: text("id").primaryKey(),
    at: integer("at").notNull(),
    /** The founder the verified token speaks for; null when the credential never verified. */
    founderId: text("founder_id"),
    workspaceId: text("workspace_id"),
    /** The operation (`chat:write`, `session:read`, `tool:update_goal`, …). */
    operation: text("operation").notNull(),
    surface: text("surface"),
    outcome: text("outcome", { enum: ["allowed", "denied"] }).notNull(),
    /** The error code of a denial. */
    code: text("code"),
    trustMode: integer("trust_mode"),
    /** The credential, masked to its last four characters. */
    credential: text("credential"),
    detail: text("detail"),
  },
  (t) => [index("chat_audit_at").on(t.at), index("chat_audit_founder").on(t.founderId, t.at)],
);

/**
 * ChainBot workflows (seed 004): one row per workflow, its latest version number and soft-delete time.
 * The definitions themselves live in `chainbot_workflow_versions`, never updated: an execution pins one.
 */
export const chainbotWorkflows = sqliteTable(
  "chainbot_workflows",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    description: text("description"),
    latestVersion: integer("latest_version").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    /** Set by DELETE: new executions are refused, versions stay readable for the running ones. */
    deletedAt: integer("deleted_at"),
  },
  (t) => [index("chainbot_workflows_created").on(t.createdAt, t.id)],
);

/** Every version of every ChainBot workflow definition, immutable once written. */
export const chainbotWorkflowVersions = sqliteTable(
  "chainbot_workflow_versions",
  {
    workflowId: text("workflow_id").notNull(),
    version: integer("version").notNull(),
    /** The checked definition, JSON. */
    definition: text("definition").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.workflowId, t.version] })],
);
/** ChainBot config files (JSON, YAML or TOML as uploaded, plus the checked values); applied in name order. */
export const chainbotConfigFiles = sqliteTable("chainbot_config_files", {
  name: text("name").primaryKey(),
  format: text("format").notNull(),
  content: text("content").notNull(),
  /** The file's keys, flattened to their dotted names and checked against the key table when stored. */
  values: text("values", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  updatedAt: integer("updated_at").notNull(),
  updatedBy: text("updated_by").notNull(),
});

/** ChainBot runtime config overrides (`PATCH /api/chainbot/config`): the highest level, one row per key. */
export const chainbotConfigRuntime = sqliteTable("chainbot_config_runtime", {
  key: text("key").primaryKey(),
  value: text("value", { mode: "json" }).$type<unknown>().notNull(),
  updatedAt: integer("updated_at").notNull(),
  updatedBy: text("updated_by").notNull(),
});

/** ChainBot's audit log (seed 004's fields); metadata is masked before it is written. */
export const chainbotAudit = sqliteTable(
  "chainbot_audit",
  {
    id: text("id").primaryKey(),
    timestampMs: integer("timestamp_ms").notNull(),
    userId: text("user_id").notNull(),
    sessionId: text("session_id"),
    action: text("action").notNull(),
    resource: text("resource").notNull(),
    /** `success` or `failure`. */
    outcome: text("outcome").notNull(),
    status: integer("status"),
    error: text("error"),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    traceId: text("trace_id"),
  },
  (t) => [
    index("chainbot_audit_ts").on(t.timestampMs, t.id),
    index("chainbot_audit_user_ts").on(t.userId, t.timestampMs),
    index("chainbot_audit_action_ts").on(t.action, t.timestampMs),
    index("chainbot_audit_resource_ts").on(t.resource, t.timestampMs),
  ],
);

/**
 * Every ChainBot execution across workflows: an index the execution list, `/api/chainbot/metrics` and the
 * orchestrator's health check read. The starter writes the `queued` row; the execution object upserts its
 * status with each report it owes its admission object. The execution object stays the source of truth.
 */
export const chainbotExecutions = sqliteTable(
  "chainbot_executions",
  {
    id: text("id").primaryKey(),
    workflowId: text("workflow_id").notNull(),
    workflowVersion: integer("workflow_version").notNull(),
    status: text("status").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
    /** When a running execution must have ended; running past it means the object's alarm is overdue. */
    deadlineAt: integer("deadline_at"),
  },
  (t) => [
    index("chainbot_executions_created").on(t.createdAt, t.id),
    index("chainbot_executions_status").on(t.status, t.createdAt),
    index("chainbot_executions_workflow").on(t.workflowId, t.createdAt),
    index("chainbot_executions_finished").on(t.finishedAt),
  ],
);

/** ChainBot's lifecycle (one row, id `chainbot`): running or stopped, and since when. */
export const chainbotModuleState = sqliteTable("chainbot_module_state", {
  id: text("id").primaryKey(),
  status: text("status").notNull(),
  startedAt: integer("started_at"),
  stoppedAt: integer("stopped_at"),
  updatedAt: integer("updated_at").notNull(),
  updatedBy: text("updated_by").notNull(),
});

/**
 * The edge device directory: one row per device an EdgeHub has heard from, upserted by the hub on hello,
 * telemetry and online/offline changes (best effort: the hub is the source of truth, this is its index for
 * the device list and the /metrics gauges).
 */
export const edgeDevices = sqliteTable(
  "edge_devices",
  {
    deviceId: text("device_id").primaryKey(),
    firstSeen: integer("first_seen").notNull(),
    lastSeen: integer("last_seen").notNull(),
    agentVersion: text("agent_version"),
    online: integer("online", { mode: "boolean" }).notNull(),
    /** The latest telemetry reading as the hub stored it (`{id, at, data}`), or null before the first one. */
    telemetry: text("telemetry", { mode: "json" }).$type<unknown>(),
    overTemperature: integer("over_temperature", { mode: "boolean" }).notNull(),
    /** The models pulled on the device's Ollama, from its latest telemetry. */
    models: text("models", { mode: "json" }).$type<string[]>().notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("edge_devices_first_seen").on(t.firstSeen, t.deviceId)],
);

/**
 * Which founder and workspace a Discord user talks as (chat gateway, surface `discord`). `guild_id` empty
 * means "in any server and in DMs"; a row for a guild wins over the any-guild row.
 */
export const discordBindings = sqliteTable(
  "discord_bindings",
  {
    discordUserId: text("discord_user_id").notNull(),
    guildId: text("guild_id").notNull().default(""),
    userId: text("user_id").notNull(),
    workspaceId: text("workspace_id").notNull(),
    /** The trust mode this Discord user's sessions open at, before the `discord` surface's cap. */
    trustMode: integer("trust_mode").notNull().default(0),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.discordUserId, t.guildId] }), index("discord_bindings_user").on(t.userId)],
);
export type DiscordBindingRow = typeof discordBindings.$inferSelect;

/**
 * Discord interaction tokens waiting for their answer: the credential stays here, never in the bus event that
 * carries the question (event history is readable with `events:read`). Good for 15 minutes, as Discord's.
 */
export const discordInteractionTokens = sqliteTable(
  "discord_interaction_tokens",
  {
    interactionId: text("interaction_id").primaryKey(),
    token: text("token").notNull(),
    expiresAt: integer("expires_at").notNull(),
    /** The answer once the turn produced it: a redelivery posts the same text without a second turn. */
    answer: text("answer"),
  },
  (t) => [index("discord_interaction_tokens_expiry").on(t.expiresAt)],
);

/**
 * Chat over SMS and voice (workers/chat/twilio): which founder and workspace a phone number (E.164) speaks
 * for, the trust mode its SMS sessions open at (capped again by the `sms` surface policy), the session its
 * messages continue, and whether the number replied STOP.
 */
export const phoneBindings = sqliteTable("phone_bindings", {
  phone: text("phone").primaryKey(),
  userId: text("user_id").notNull(),
  workspaceId: text("workspace_id").notNull(),
  trustMode: integer("trust_mode").notNull(),
  /** The chat session this number's messages continue; null until the first one (or after it expired). */
  sessionId: text("session_id"),
  /** When the number replied STOP; null while it may be messaged. */
  optedOutAt: integer("opted_out_at"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * Inbound SMS accepted for a reply, one row per Twilio `MessageSid` (the key that makes Twilio's retries of
 * one webhook a single reply), with the bus event carrying its work and the reply's progress.
 */
export const smsInbound = sqliteTable(
  "sms_inbound",
  {
    messageSid: text("message_sid").primaryKey(),
    phone: text("phone").notNull(),
    eventId: text("event_id").notNull(),
    receivedAt: integer("received_at").notNull(),
    /** The model's reply once produced, so a redelivered event sends it without asking the model again. */
    reply: text("reply"),
    /** When a consumer took the reply on (a lease: two deliveries of one event never both send). */
    claimedAt: integer("claimed_at"),
    /** How many of the reply's chunks (`splitSms`, deterministic) Twilio has accepted. */
    segmentsSent: integer("segments_sent").notNull().default(0),
    /** Set right before chunk `segments_sent` goes to Twilio, cleared once Twilio answers: a send in doubt. */
    sendingSince: integer("sending_since"),
    sentAt: integer("sent_at"),
  },
  (t) => [index("sms_inbound_phone").on(t.phone, t.receivedAt)],
);

/**
 * A caller's turn on a voice call (workers/chat/twilio/voice-routes.ts): what they said, the bus event that
 * produces the answer, and the answer once ready — keyed by turn, looked up with the CallSid Twilio sends on
 * each `<Redirect>` while the caller waits.
 */
export const voiceTurns = sqliteTable(
  "voice_turns",
  {
    id: text("id").primaryKey(),
    callSid: text("call_sid").notNull(),
    phone: text("phone").notNull(),
    speech: text("speech").notNull(),
    answer: text("answer"),
    /** How many times Twilio came back for the answer before it was ready (bounded). */
    polls: integer("polls").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("voice_turns_call").on(t.callSid, t.createdAt)],
);

/**
 * What a workspace's chat turns cost, per UTC month (`YYYY-MM`): summed in nano-dollars (integers, so the
 * sum is exact whatever the order of turns), with the tokens and turns counted. `budget_notified_at` marks
 * the month's one "budget spent" note to the founder.
 */
export const chatWorkspaceCosts = sqliteTable(
  "chat_workspace_costs",
  {
    workspaceId: text("workspace_id").notNull(),
    month: text("month").notNull(),
    costNanoUsd: integer("cost_nano_usd").notNull().default(0),
    inputTokens: integer("input_tokens").notNull().default(0),
    outputTokens: integer("output_tokens").notNull().default(0),
    turns: integer("turns").notNull().default(0),
    budgetNotifiedAt: integer("budget_notified_at"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.month] })],
);

/** A workspace's monthly budget set by an admin (nano-dollars; 0 = none), overriding CHAT_MONTHLY_BUDGET_USD. */
export const chatWorkspaceBudgets = sqliteTable("chat_workspace_budgets", {
  workspaceId: text("workspace_id").primaryKey(),
  monthlyNanoUsd: integer("monthly_nano_usd").notNull(),
  updatedAt: integer("updated_at").notNull(),
  updatedBy: text("updated_by").notNull(),
});

/** Until when a rate-limited founder's surface has been told so (SMS: one polite reply per limited stretch). */
export const chatRateNotices = sqliteTable("chat_rate_notices", {
  key: text("key").primaryKey(),
  until: integer("until").notNull(),
});

/**
 * Semantic recall's local vector store (used when no Vectorize index is bound): one embedding per transcript
 * row, in the transcript's workspace and namespace, with the text it was made from.
 */
export const chatRecallVectors = sqliteTable(
  "chat_recall_vectors",
  {
    id: text("id").primaryKey(),
    namespace: text("namespace", { enum: CHAT_NAMESPACES }).notNull().default("wb"),
    workspaceId: text("workspace_id").notNull(),
    sessionId: text("session_id").notNull(),
    text: text("text").notNull(),
    embedding: text("embedding", { mode: "json" }).$type<number[]>().notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("chat_recall_vectors_workspace").on(t.workspaceId, t.namespace, t.createdAt)],
);

/** The JimBot strategy advisor's cache (workers/jimbot/advisor/): one row per game-situation fingerprint. */
export const strategyCache = sqliteTable(
  "strategy_cache",
  {
    fingerprint: text("fingerprint").primaryKey(),
    situation: text("situation").notNull(),
    strategy: text("strategy").notNull(),
    hits: integer("hits").notNull().default(0),
    createdAt: integer("created_at").notNull(),
    lastHitAt: integer("last_hit_at"),
  },
  (t) => [index("strategy_cache_created").on(t.createdAt)],
);

/** The newest value of each metric a trainer reported for a model on the bus (workers/jimbot/training/). */
export const modelMetrics = sqliteTable(
  "model_metrics",
  {
    modelId: text("model_id").notNull(),
    name: text("name").notNull(),
    value: real("value").notNull(),
    step: integer("step"),
    reportedAt: integer("reported_at").notNull(),
    eventId: text("event_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelId, t.name] })],
);

/**
 * The knowledge graph's nodes (seed 002 "Knowledge Graph Interface", Memgraph's place): one row per
 * (type, name), its id `type/name` so a relation can name both ends without a lookup.
 */
export const kgEntities = sqliteTable(
  "kg_entities",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    name: text("name").notNull(),
    properties: text("properties", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("kg_entities_type_name").on(t.type, t.name)],
);

/** The knowledge graph's edges: one per (source, type, target); a synergy is type `SYNERGY`. */
export const kgRelations = sqliteTable(
  "kg_relations",
  {
    id: text("id").primaryKey(),
    sourceId: text("source_id").notNull(),
    targetId: text("target_id").notNull(),
    type: text("type").notNull(),
    strength: real("strength"),
    conditions: text("conditions", { mode: "json" }).$type<string[]>().notNull(),
    properties: text("properties", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("kg_relations_source").on(t.sourceId, t.type), index("kg_relations_target").on(t.targetId, t.type)],
);

/** Every KnowledgeUpdate applied, by its update_id: a repeat (mutation or bus) gets the first UpdateResponse back. */
export const kgUpdates = sqliteTable("kg_updates", {
  updateId: text("update_id").primaryKey(),
  response: text("response", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  appliedAt: integer("applied_at").notNull(),
});
