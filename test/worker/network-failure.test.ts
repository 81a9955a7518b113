/**
 * providers/network-failure: a fetch that got no answer, told apart by runtime (workerd's two opaque
 * messages, Node's errno codes on `cause`) and Cloudflare's own 52x answers for an unreachable origin.
 * The real workerd failures (DNS, refused port, TLS to plain HTTP) are exercised end to end in
 * model-gateway-chain.test.ts.
 */
import { describe, it } from "vitest";
import { classifyHttpError } from "../../workers/models/providers/http-errors";
import {
  describeFetchFailure,
  fetchFailure,
  hostOf,
  originFailure,
} from "../../workers/models/providers/network-failure";
import { ProviderError } from "../../workers/models/types";

function nodeError(code: string): Error {
  return new TypeError("fetch failed", { cause: Object.assign(new Error(code), { code }) });
}

const live = () => new AbortController().signal;

describe("providers/network-failure", () => {
  it("should keep the port the URL names and drop the path", ({ expect }) => {
    expect(hostOf("http://host.docker.internal:11434/api/chat")).toBe("host.docker.internal:11434");
    expect(hostOf("https://api.openai.com/v1/chat/completions")).toBe("api.openai.com");
    expect(hostOf("not a url")).toBe("not a url");
  });

  it("should map Node's errno codes", async ({ expect }) => {
    const url = "http://ollama.test:11434/api/chat";
    expect(await describeFetchFailure(nodeError("ENOTFOUND"), url, live())).toBe("DNS lookup failed");
    expect(await describeFetchFailure(nodeError("EAI_AGAIN"), url, live())).toBe("DNS lookup failed");
    expect(await describeFetchFailure(nodeError("ECONNREFUSED"), url, live())).toBe("connection refused");
    expect(await describeFetchFailure(nodeError("ECONNRESET"), url, live())).toBe("connection reset");
    expect(await describeFetchFailure(nodeError("UND_ERR_CONNECT_TIMEOUT"), url, live())).toBe("connection timed out");
    expect(await describeFetchFailure(nodeError("CERT_HAS_EXPIRED"), url, live())).toBe("TLS handshake failed");
    expect(await describeFetchFailure(nodeError("EWHATEVER"), url, live())).toBe("connection failed (EWHATEVER)");
  });

  it("should map workerd's messages by the URL they failed on", async ({ expect }) => {
    const internal = new Error("internal error; reference = abc123");
    expect(await describeFetchFailure(new Error("Network connection lost."), "http://x.test/", live())).toBe(
      "connection refused or reset",
    );
    expect(await describeFetchFailure(internal, "http://ollama.test:11434/api/chat", live())).toBe(
      "DNS lookup failed (workerd reference abc123)",
    );
    expect(await describeFetchFailure(internal, "https://10.0.0.1/v1", live())).toBe(
      "TLS handshake failed (workerd reference abc123)",
    );
    expect(await describeFetchFailure(internal, "http://10.0.0.1/v1", live())).toBe(
      "connection failed (workerd reference abc123)",
    );
  });

  it("should name the provider and host, and leave the router's own abort a timeout", async ({ expect }) => {
    const err = await fetchFailure("ollama", "http://ollama.test:11434/api/chat", nodeError("ENOTFOUND"), live());
    expect({ kind: err.kind, message: err.message }).toEqual({
      kind: "network",
      message: "ollama at ollama.test:11434: DNS lookup failed",
    });
    const controller = new AbortController();
    controller.abort(new ProviderError("timeout", "ollama: total timeout after 4000 ms"));
    const aborted = await fetchFailure("ollama", "http://x.test/", new Error("aborted"), controller.signal);
    expect({ kind: aborted.kind, message: aborted.message }).toEqual({
      kind: "timeout",
      message: "ollama: total timeout after 4000 ms",
    });
  });

  it("should reword Cloudflare's answers for an unreachable origin and leave other answers alone", ({ expect }) => {
    const url = "https://llm.example.com/v1/chat/completions";
    const dns = originFailure("vendor", url, classifyHttpError("vendor", 530, new Headers(), "error code: 1016"));
    expect({ kind: dns.kind, message: dns.message }).toEqual({
      kind: "network",
      message: "vendor at llm.example.com: DNS lookup failed (Cloudflare HTTP 530)",
    });
    const refused = originFailure("vendor", url, classifyHttpError("vendor", 521, new Headers(), "error code: 521"));
    expect(refused.message).toBe("vendor at llm.example.com: connection refused (Cloudflare HTTP 521)");
    const plain = classifyHttpError("vendor", 500, new Headers(), '{"error":{"message":"boom"}}');
    expect(originFailure("vendor", url, plain)).toBe(plain);
  });
});
