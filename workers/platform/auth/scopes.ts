/**
 * The one table of scopes. Every protected route names exactly one of these in its `requireScope`;
 * `admin` grants all of them, and `chainbot:admin` grants every `chainbot:*` scope (seed 004's RBAC).
 * Tokens and API keys carry scopes from this table only.
 */
export const SCOPES = {
  admin: "Superscope: everything, including API keys and runtime config",
  "botz:read": "Read BoTZ instances and ecosystem stats",
  "botz:write": "Register BoTZ instances and send heartbeats",
  "workitems:read": "List and read work items",
  "workitems:write": "Create work items",
  "workitems:claim": "Claim and complete work items",
  "metrics:read": "Scrape /metrics; query analytics (POST /api/v1/query) and stream ingested metrics (/ws/metrics)",
  "events:publish": "Publish events to the bus",
  "events:read": "Read event history, subscribe to live events, list dead letters",
  "events:replay": "Replay dead letters",
  "resources:request": "Request and release resource grants",
  "resources:read": "Read resource status",
  "models:infer": "Run inferences and embeddings through the model gateway",
  "models:feedback": "Send feedback on inferences and episodes",
  "models:read": "Read the inference log, episodes and gateway config",
  "edge:device": "Act as an edge device (the Pi's edge-agent): connect or long-poll as the token's `sub`",
  "edge:read": "Read edge devices and the commands sent to them",
  "edge:command": "Send commands (GPIO, telemetry, models, restart) to edge devices",
  "chat:write": "Talk to the chat gateway (POST /chat) on the surfaces the token allows",
  "chat:read": "Read one's own chat sessions",
  "knowledge:read": "Query the knowledge graph (/graphql) and stream its changes (/ws/knowledge)",
  "knowledge:write": "Update the knowledge graph (the updateKnowledge mutation)",
  "chainbot:read": "Read access to workflows, agents, entanglements",
  "chainbot:workflow:execute": "Execute workflows",
  "chainbot:workflow:create": "Create new workflows",
  "chainbot:workflow:delete": "Delete workflows",
  "chainbot:agent:spawn": "Spawn new agents",
  "chainbot:agent:terminate": "Terminate agents",
  "chainbot:entanglement:manage": "Manage entanglements",
  "chainbot:admin": "Full administrative access to ChainBot",
} as const;

export type Scope = keyof typeof SCOPES;

export const SCOPE_NAMES = Object.keys(SCOPES) as Scope[];

export function grants(scopes: readonly string[], needed: Scope): boolean {
  if (scopes.includes("admin") || scopes.includes(needed)) return true;
  return needed.startsWith("chainbot:") && scopes.includes("chainbot:admin");
}

/** Accepts `scopes` as an array or an OAuth-style space-separated string (`scope` or `scopes`). */
export function scopesFromClaims(claims: Record<string, unknown>): string[] {
  const raw = claims.scopes ?? claims.scope;
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === "string");
  if (typeof raw === "string") return raw.split(/\s+/).filter(Boolean);
  return [];
}
