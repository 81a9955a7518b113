import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "edge-agent",
    environment: "node",
    root: path.join(import.meta.dirname, "../.."),
    include: ["test/edge-agent/**/*.test.ts"],
  },
});
