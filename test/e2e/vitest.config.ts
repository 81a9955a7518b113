import path from "node:path";
import { defineConfig } from "vitest/config";

// End-to-end: real local servers started as `npm start` starts them (see botplane-server.ts). Files run one
// at a time, since each server is a wrangler + two workerd processes on a small machine.
export default defineConfig({
  test: {
    name: "e2e",
    environment: "node",
    root: path.join(import.meta.dirname, "../.."),
    include: ["test/e2e/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 180_000,
  },
});
