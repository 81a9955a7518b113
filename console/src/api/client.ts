/**
 * The typed API client: openapi-fetch over the paths generated from the Worker's own /openapi.json, with the
 * session's credential as a Bearer header. A 401 means the credential died (revoked, expired): sign out.
 */
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./openapi";
import { credential, signOut } from "./session";

const auth: Middleware = {
  onRequest({ request }) {
    const secret = credential();
    if (secret) request.headers.set("authorization", `Bearer ${secret}`);
    return request;
  },
  onResponse({ response, request }) {
    if (response.status === 401 && !new URL(request.url).pathname.endsWith("/whoami")) signOut();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: location.origin });
api.use(auth);

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a successful call, or an ApiError carrying the one error shape's code and message. */
export async function must<T>(call: Promise<Result<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (data !== undefined && response.ok) return data;
  const e = (error as { error?: { code?: string; message?: string } } | undefined)?.error;
  throw new ApiError(
    response.status,
    e?.code ?? "http_error",
    e?.message ?? `${response.status} ${response.statusText}`,
  );
}

/** Plain-text GETs the OpenAPI document does not type as JSON (Prometheus /metrics). */
export async function text(path: string): Promise<string> {
  const secret = credential();
  const res = await fetch(path, { headers: secret ? { authorization: `Bearer ${secret}` } : {} });
  if (!res.ok) throw new ApiError(res.status, "http_error", `${path}: ${res.status}`);
  return res.text();
}
