/**
 * Says why a fetch to a provider never got an answer, naming the provider, the host it tried and the network
 * failure: "ollama at host.docker.internal:11434: DNS lookup failed". workerd hides the cause behind two
 * messages — "Network connection lost." (refused or reset before any answer) and "internal error; reference
 * = …" (a failed DNS lookup or TLS handshake; the detail only goes to workerd's own log) — so the second is
 * told apart by the URL and, for a named https host, one raw TCP connect: if even that fails the name did not
 * resolve (a refusal would have been "connection lost"), otherwise TLS is what failed. Node's undici (used
 * by tools that share this code) puts an errno-style `code` on `cause` instead. On Cloudflare itself an
 * origin that cannot be reached comes back as Cloudflare's own 52x answer (530 + error 1016 for DNS).
 */
import { connect } from "cloudflare:sockets";
import { ProviderError } from "../types";
import { abortError } from "./http-errors";

/** The TCP probe that tells DNS from TLS gets this long at most: it runs only on an already failed call. */
const PROBE_TIMEOUT_MS = 1_000;

const NODE_CODES: readonly [RegExp, string][] = [
  [/^(?:ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL)$/, "DNS lookup failed"],
  [/^ECONNREFUSED$/, "connection refused"],
  [/^(?:ECONNRESET|EPIPE|UND_ERR_SOCKET|UND_ERR_CLOSED)$/, "connection reset"],
  [/^(?:ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT)$/, "connection timed out"],
  [/^(?:EHOSTUNREACH|ENETUNREACH|ENETDOWN)$/, "host unreachable"],
  [/CERT|SSL|TLS|SELF_SIGNED|ERR_SSL/, "TLS handshake failed"],
];

/** Cloudflare's answers for an origin it could not reach, by status. */
const ORIGIN_UNREACHABLE: ReadonlyMap<number, string> = new Map([
  [521, "connection refused"],
  [522, "connection timed out"],
  [523, "host unreachable"],
  [525, "TLS handshake failed"],
  [526, "invalid TLS certificate"],
]);

/** `host[:port]` as written in the URL, or the URL itself when it does not parse. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function isIpLiteral(hostname: string): boolean {
  return /^\d{1,3}(?:\.\d{1,3}){3}$/.test(hostname) || hostname.startsWith("[");
}

function nodeCause(err: unknown): string | undefined {
  const cause: unknown = err instanceof Error ? err.cause : undefined;
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined;
  if (code === undefined) return undefined;
  return NODE_CODES.find(([pattern]) => pattern.test(code))?.[1] ?? `connection failed (${code})`;
}

/** Whether a raw TCP connection to the URL's host and port opens within the probe budget (undefined: no answer). */
async function tcpReachable(url: URL, signal: AbortSignal): Promise<boolean | undefined> {
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  let socket: ReturnType<typeof connect> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  try {
    socket = connect({ hostname: url.hostname, port });
    const gaveUp = new Promise<undefined>((resolve) => {
      onAbort = () => resolve(undefined);
      timer = setTimeout(onAbort, PROBE_TIMEOUT_MS);
      signal.addEventListener("abort", onAbort, { once: true });
    });
    return await Promise.race([
      socket.opened.then(
        () => true,
        () => false,
      ),
      gaveUp,
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener("abort", onAbort);
    socket?.close().catch(() => undefined);
  }
}

/** workerd's opaque "internal error" on a fetch: DNS or TLS, told apart by the URL and a TCP probe. */
async function internalErrorCause(url: URL, signal: AbortSignal): Promise<string> {
  const tls = url.protocol === "https:";
  if (isIpLiteral(url.hostname)) return tls ? "TLS handshake failed" : "connection failed";
  if (!tls) return "DNS lookup failed";
  const reachable = await tcpReachable(url, signal);
  if (reachable === undefined) return "DNS lookup or TLS handshake failed";
  return reachable ? "TLS handshake failed" : "DNS lookup failed";
}

/** The network failure behind a rejected fetch, in a few words. */
export async function describeFetchFailure(err: unknown, url: string, signal: AbortSignal): Promise<string> {
  const fromNode = nodeCause(err);
  if (fromNode) return fromNode;
  const message = err instanceof Error ? err.message : String(err);
  if (/^Network connection lost\.?$/i.test(message)) return "connection refused or reset";
  const internal = /^internal error; reference = (\S+)/.exec(message);
  if (internal) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return `connection failed (workerd reference ${internal[1] ?? "?"})`;
    }
    return `${await internalErrorCause(parsed, signal)} (workerd reference ${internal[1] ?? "?"})`;
  }
  if (/certificate|TLS|SSL|handshake/i.test(message)) return `TLS handshake failed: ${message}`;
  if (/timed? ?out/i.test(message)) return `connection timed out: ${message}`;
  return message;
}

/**
 * A rejected fetch as a classified failure: the router's own abort stays a timeout; anything else is a
 * "network" failure whose message names the provider, the host and what went wrong.
 */
export async function fetchFailure(
  provider: string,
  url: string,
  err: unknown,
  signal: AbortSignal,
): Promise<ProviderError> {
  if (err instanceof ProviderError) return err;
  if (signal.aborted) return abortError(provider, signal);
  const cause = await describeFetchFailure(err, url, signal);
  return new ProviderError("network", `${provider} at ${hostOf(url)}: ${cause}`);
}

/**
 * A non-2xx answer that is really Cloudflare saying the origin could not be reached: reworded like a failed
 * fetch (provider, host, failure) and classified "network"; any other answer is returned as it was.
 */
export function originFailure(provider: string, url: string, err: ProviderError): ProviderError {
  if (err.status === undefined) return err;
  const cause =
    err.status === 530 && /\berror code: 1016\b/.test(err.message)
      ? "DNS lookup failed"
      : ORIGIN_UNREACHABLE.get(err.status);
  if (cause === undefined) return err;
  return new ProviderError(
    "network",
    `${provider} at ${hostOf(url)}: ${cause} (Cloudflare HTTP ${err.status})`,
    err.status,
    err.retryAfterMs,
  );
}
