import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { startJwksServer } from "./jwks-server.ts";

export const TEST_JWT_SECRET = "test-secret-please-change-0123456789abcdef";

export default defineConfig(async () => {
  const root = path.join(import.meta.dirname, "../..");
  const migrations = await readD1Migrations(path.join(root, "d1-migrations"));
  const jwks = await startJwksServer();
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: path.join(root, "wrangler.toml") },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            AUTH_JWT_SECRET: TEST_JWT_SECRET,
            AUTH_JWKS_URL: jwks.url,
            TEST_JWKS_PRIVATE_KEY: jwks.privateJwk,
            LOG_LEVEL: "ERROR",
          },
          // Deliver queued messages quickly so integration tests need not wait a second per batch.
          queueConsumers: { "botplane-bus": { maxBatchTimeout: 0.05 } },
        },
      }),
    ],
    test: { name: "worker", include: ["test/worker/**/*.test.ts"], root, setupFiles: ["./test/worker/apply-migrations.ts"], testTimeout: 30_000 },
  };
});
