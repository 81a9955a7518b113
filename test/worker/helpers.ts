/**
 * Test helpers: mint tokens the Worker accepts, and call it through its real entry.
 */
import { env, exports } from "cloudflare:workers";
import { importJWK, SignJWT } from "jose";

export const SECRET = env.AUTH_JWT_SECRET ?? "";

export async function token(
  scopes: string[],
  opts: { sub?: string; expiresIn?: string | number; secret?: string } = {},
): Promise<string> {
  return new SignJWT({ scopes })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(opts.sub ?? "tester")
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? "1h")
    .sign(new TextEncoder().encode(opts.secret ?? SECRET));
}

export async function rsToken(scopes: string[]): Promise<string> {
  const key = await importJWK(JSON.parse(env.TEST_JWKS_PRIVATE_KEY) as Parameters<typeof importJWK>[0], "RS256");
  return new SignJWT({ scopes })
    .setProtectedHeader({ alg: "RS256", kid: "test-key" })
    .setSubject("rs-tester")
    .setExpirationTime("1h")
    .sign(key);
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
}

export async function call(path: string, opts: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers["content-type"] ??= "application/json";
    body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
  }
  return exports.default.fetch(`https://botplane.test${path}`, {
    method: opts.method ?? (body ? "POST" : "GET"),
    headers,
    body,
  });
}

export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return await res.json();
}

export const ADMIN = () => token(["admin"]);

export type Skill = "basic" | "tac_enabled" | "mcp_augmented" | "agentic";

let seq = 0;
/** A unique instance id per call, so tests sharing a file's storage never collide. */
export function uniqueId(prefix: string): string {
  seq += 1;
  return `${prefix}-${Date.now().toString(36)}-${seq}`;
}

export async function registerBot(skill: Skill, auth: string, instanceId = uniqueId("bot")): Promise<string> {
  const res = await call("/v1/botz/register", {
    token: auth,
    body: { botz_name: "tester", instance_id: instanceId, skill_level: skill },
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  return (await json<{ botz_id: string }>(res)).botz_id;
}

export async function createItems(
  auth: string,
  items: { required_skill_level?: Skill; priority?: number; integration_name?: string; title?: string }[],
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < items.length; i += 100) {
    const batch = items.slice(i, i + 100).map((it, j) => ({ title: it.title ?? `item ${i + j}`, ...it }));
    const res = await call("/v1/workitems", { token: auth, body: { items: batch } });
    if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
    ids.push(...(await json<{ work_item_ids: string[] }>(res)).work_item_ids);
  }
  return ids;
}
