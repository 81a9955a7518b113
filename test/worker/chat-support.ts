/**
 * Chat gateway test helpers: founder tokens carrying the seed's claims, and a gateway config whose `chat`
 * function answers from the fake OpenAI upstream with a model name chosen by the test file.
 */
import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import { ADMIN, call, SECRET } from "./helpers";

export interface FounderClaims {
  user_id?: string;
  sub?: string;
  workspace_id?: string;
  trust_mode_max?: number;
  scopes?: string[];
  surfaces?: string[];
  /** Absolute expiry in epoch seconds. */
  exp?: number;
}

export async function founderToken(claims: FounderClaims = {}): Promise<string> {
  const { sub = "founder-sub", exp = Math.floor(Date.now() / 1000) + 3600, ...rest } = claims;
  return new SignJWT({ scopes: ["chat:write", "chat:read"], ...rest })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(SECRET));
}

/** Puts the gateway on the fake OpenAI upstream: `chat` answered by `model`, plus any extra TOML (functions). */
export async function useChatModel(model: string, extraToml = ""): Promise<void> {
  const toml = `
[providers.fake_openai]
type = "openai"
url = "${env.TEST_FAKE_UPSTREAMS_URL}/openai/v1"
api_key = "sk-test"

[functions.chat]
type = "chat"

[functions.chat.variants.only]
provider = "fake_openai"
model = "${model}"
${extraToml}`;
  const res = await call("/api/v1/models/config", {
    method: "PUT",
    token: await ADMIN(),
    body: toml,
    headers: { "content-type": "text/plain" },
  });
  if (res.status !== 200) throw new Error(`config: ${res.status} ${await res.text()}`);
}

export interface AuditRow {
  founder_id: string | null;
  operation: string;
  surface: string | null;
  outcome: string;
  code: string | null;
  credential: string | null;
  detail: string | null;
}

export async function auditRows(founderId: string): Promise<AuditRow[]> {
  const { results } = await env.DB.prepare(
    "SELECT founder_id, operation, surface, outcome, code, credential, detail FROM chat_audit WHERE founder_id = ? ORDER BY at, rowid",
  )
    .bind(founderId)
    .all<AuditRow>();
  return results;
}

const limitedKeys: string[] = [];

/** Gives one rate-limit key `capacity` tokens refilled `capacity` a day (bursts of `capacity`): no refill within a test. */
export async function limitKey(key: string, capacity: number): Promise<void> {
  const res = await call("/api/v1/config/rate_limits", {
    method: "PUT",
    token: await ADMIN(),
    body: { limits: [{ key, capacity, refill_rate: `${capacity}/day`, burst_capacity: capacity }] },
  });
  if (res.status !== 200) throw new Error(`rate_limits: ${res.status} ${await res.text()}`);
  limitedKeys.push(key);
}

/** Removes the rows `limitKey` stored (call from afterAll). */
export async function clearLimitKeys(): Promise<void> {
  for (const key of limitedKeys.splice(0))
    await env.DB.prepare("DELETE FROM rate_limits WHERE key = ?").bind(key).run();
}
