declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    TEST_JWKS_PRIVATE_KEY: string;
    TEST_COLLECTOR_URL: string;
    TEST_FAKE_OLLAMA_URL: string;
    TEST_FAKE_UPSTREAMS_URL: string;
  }
}

declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("../../workers/index");
    durableNamespaces:
      | "BotzRegistry"
      | "MetricsShard"
      | "EventStream"
      | "ResourceCoordinator"
      | "RateLimiter"
      | "BreakerBoard"
      | "EdgeHub";
  }
}
