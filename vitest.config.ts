import { defineConfig } from "vitest/config";

// One command runs every suite: the Worker on workerd, the edge-agent in Node.
export default defineConfig({
  test: { projects: ["test/worker/vitest.config.ts", "test/edge-agent/vitest.config.ts"] },
});
