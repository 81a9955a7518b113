/**
 * A JWKS endpoint on 127.0.0.1 for the tests of AUTH_JWKS_URL: an RS256 key pair made fresh per run, the
 * public half served as a real JWKS document, the private half handed to the tests as a binding.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";

export async function startJwksServer(): Promise<{ url: string; privateJwk: string }> {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: "test-key", alg: "RS256", use: "sig" };
  const privateJwk = JSON.stringify({ ...(await exportJWK(privateKey)), kid: "test-key", alg: "RS256" });
  const server = createServer((req, res) => {
    if (req.url === "/.well-known/jwks.json") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [publicJwk] }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // Never keeps the test process alive on its own.
  server.unref();
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/.well-known/jwks.json`, privateJwk };
}
