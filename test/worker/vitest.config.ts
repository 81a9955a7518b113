import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { startLocalServer } from "./local-server.ts";
import { startFakeOllama } from "../fakes/fake-ollama.ts";
import { startFakeUpstreams } from "./fake-upstreams.ts";

export const TEST_JWT_SECRET = "test-secret-please-change-0123456789abcdef";

export default defineConfig(async () => {
  const root = path.join(import.meta.dirname, "../..");
  const migrations = await readD1Migrations(path.join(root, "d1-migrations"));
  const analyticsMigrations = await readD1Migrations(path.join(root, "analytics-migrations"));
  const peers = await startLocalServer();
  const fakeOllama = await startFakeOllama();
  const fakeUpstreams = await startFakeUpstreams();
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: path.join(root, "wrangler.toml") },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            TEST_ANALYTICS_MIGRATIONS: analyticsMigrations,
            AUTH_JWT_SECRET: TEST_JWT_SECRET,
            AUTH_JWKS_URL: peers.jwksUrl,
            TEST_JWKS_PRIVATE_KEY: peers.privateJwk,
            TRACE_ENDPOINT: peers.origin,
            TEST_COLLECTOR_URL: `${peers.origin}/collected`,
            TEST_FAKE_OLLAMA_URL: fakeOllama.url,
            TEST_FAKE_UPSTREAMS_URL: fakeUpstreams.origin,
            // The public half of the test key in test/worker/support/discord-signer.ts; answers go to the fake.
            DISCORD_PUBLIC_KEY: "f17a901c651ced1d74751defb3787fe7934b0f4e5e53033b1648864e928142e5",
            DISCORD_API_BASE_URL: `${fakeUpstreams.origin}/discord/api/v10`,
            LOG_LEVEL: "ERROR",
            // JimBot decision backends on the fake (jimbot-decision*.test.ts): a deadline no loaded CI machine
            // misses by accident, and a concurrency limit a test can reach.
            DECISION_BACKENDS: JSON.stringify({
              fast: `${fakeUpstreams.origin}/decide/fast`,
              slow: `${fakeUpstreams.origin}/decide/slow-3000`,
              down: `${fakeUpstreams.origin}/decide/down`,
              garbage: `${fakeUpstreams.origin}/decide/garbage`,
              hold: `${fakeUpstreams.origin}/decide/slow-800`,
            }),
            DECISION_DEADLINE: "1s",
            DECISION_FALLBACK_ACTION: "discard",
            MAX_CONCURRENT_DECISIONS: "5",
            // ChainBot api_call steps may read these two secrets (chainbot-exec tests check they stay masked).
            CHAINBOT_SECRET_NAMES: "api_token,CHAINBOT_TEST_TOKEN",
            api_token: "seed-api-token-5f2a9c",
            CHAINBOT_TEST_TOKEN: "cb-test-secret-77e1d0",
            // The seed's 50 ms / 200 ms budgets hold on an idle machine; on a shared CI runner a cold first D1
            // read can take longer, so tests give ordinary queries room (the budget test reads this value).
            KNOWLEDGE_QUERY_TIMEOUT: "1s",
            KNOWLEDGE_MUTATION_TIMEOUT: "3s",
            // Knowledge updates are mirrored to the fake Memgraph (jimbot-knowledge-memgraph.test.ts).
            MEMGRAPH_URL: `${fakeUpstreams.origin}/memgraph/db/neo4j/tx/commit`,
            // The SMS webhook verifies against this token and replies through the fake Twilio REST API.
            TWILIO_ACCOUNT_SID: "AC0123456789abcdef0123456789abcdef",
            TWILIO_AUTH_TOKEN: "twilio-test-auth-token",
            TWILIO_FROM_NUMBER: "+15005550006",
            TWILIO_API_BASE_URL: `${fakeUpstreams.origin}/twilio`,
            // The fault test's handler fails 30% of the time at random: chaos, not an outage, so its breaker
            // gets a threshold the chaos cannot reach (bus-breaker.test.ts covers the breaker itself).
            // model-router.test.ts opens and half-opens this provider's breaker without waiting 30 s.
            CIRCUIT_BREAKER_OVERRIDES: JSON.stringify({
              "bus.handler.fault.counter": { failure_threshold: 10000, timeout: "30s" },
              "model.provider.flaky-test": { failure_threshold: 2, timeout: "1s", half_open_requests: 1 },
              // The mirror test opens the memgraph breaker with three failures instead of the seed's ten.
              memgraph: { failure_threshold: 3, timeout: "60s" },
            }),
          },
          // Deliver queued messages quickly so integration tests need not wait a second per batch.
          queueConsumers: { "botplane-bus": { maxBatchTimeout: 0.05 } },
        },
      }),
    ],
    test: {
      name: "worker",
      include: ["test/worker/**/*.test.ts"],
      root,
      setupFiles: ["./test/worker/apply-migrations.ts"],
      testTimeout: 30_000,
    },
  };
});
