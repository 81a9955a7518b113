// Bindings only the tests set (test/worker/vitest.config.ts); the Worker's own come from worker-configuration.d.ts.
declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    TEST_ANALYTICS_MIGRATIONS: import("cloudflare:test").D1Migration[];
    TEST_JWKS_PRIVATE_KEY: string;
    TEST_COLLECTOR_URL: string;
    TEST_FAKE_OLLAMA_URL: string;
    TEST_FAKE_UPSTREAMS_URL: string;
  }
}
