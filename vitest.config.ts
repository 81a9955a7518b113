import { defineConfig } from "vitest/config";

// One command runs every suite: the Worker on workerd, the edge-agent in Node, and end-to-end tests against
// real local servers (`npm start`'s own script).
export default defineConfig({
  test: {
    projects: ["test/worker/vitest.config.ts", "test/edge-agent/vitest.config.ts", "test/e2e/vitest.config.ts"],
    // Work a test leaves behind on purpose (an outbox flushing from its alarm, a partition forwarding to the
    // queue) can still be loading a module when the test file's workerd environment is torn down; the harness
    // then reports its own RPC closing. That is the harness, not botplane: every other unhandled error fails
    // the run.
    onUnhandledError(error) {
      const teardown = error.name === "EnvironmentTeardownError" && /Closing rpc while/.test(error.message);
      return teardown ? false : undefined;
    },
  },
});
