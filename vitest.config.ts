import { defineConfig } from "vitest/config";

// One command runs every suite: the Worker on workerd, the edge-agent in Node, and end-to-end tests against
// real local servers (`npm start`'s own script).
export default defineConfig({
  test: {
    projects: ["test/worker/vitest.config.ts", "test/edge-agent/vitest.config.ts", "test/e2e/vitest.config.ts"],
  },
});
