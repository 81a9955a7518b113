/**
 * The tests' local peers on 127.0.0.1: a JWKS endpoint for AUTH_JWKS_URL (an RS256 key pair made fresh per
 * run; the private half goes to the tests as a binding) and an OTLP/HTTP collector for TRACE_ENDPOINT that
 * keeps what it receives and hands it back on `GET /collected`.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";

export interface LocalServer {
  origin: string;
  jwksUrl: string;
  privateJwk: string;
}

export async function startLocalServer(): Promise<LocalServer> {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: "test-key", alg: "RS256", use: "sig" };
  const privateJwk = JSON.stringify({ ...(await exportJWK(privateKey)), kid: "test-key", alg: "RS256" });
  const collected: unknown[] = [];
  const server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/.well-known/jwks.json") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [publicJwk] }));
      return;
    }
    if (req.method === "POST" && req.url === "/v1/traces") {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        collected.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown);
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
      return;
    }
    if (req.method === "GET" && req.url === "/collected") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(collected));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // Never keeps the test process alive on its own.
  server.unref();
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return { origin, jwksUrl: `${origin}/.well-known/jwks.json`, privateJwk };
}
