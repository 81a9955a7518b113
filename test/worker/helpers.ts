/**
 * Test helpers: mint tokens the Worker accepts, and call it through its real entry.
 */
import { env, exports } from "cloudflare:workers";
import { importJWK, SignJWT } from "jose";

export const SECRET = env.AUTH_JWT_SECRET ?? "";

export async function token(scopes: string[], opts: { sub?: string; expiresIn?: string | number; secret?: string } = {}): Promise<string> {
  return new SignJWT({ scopes })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(opts.sub ?? "tester")
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? "1h")
    .sign(new TextEncoder().encode(opts.secret ?? SECRET));
}

export async function rsToken(scopes: string[]): Promise<string> {
  const key = await importJWK(JSON.parse(env.TEST_JWKS_PRIVATE_KEY) as Parameters<typeof importJWK>[0], "RS256");
  return new SignJWT({ scopes }).setProtectedHeader({ alg: "RS256", kid: "test-key" }).setSubject("rs-tester").setExpirationTime("1h").sign(key);
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
  return exports.default.fetch(`https://botplane.test${path}`, { method: opts.method ?? (body ? "POST" : "GET"), headers, body });
}

export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

export const ADMIN = () => token(["admin"]);
