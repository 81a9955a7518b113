/**
 * Builds the package's bin: bundles src/main.ts with the shared wire contract (durable-objects/protocol.ts,
 * outside this package) into one plain-JavaScript file for Node 20, leaving npm packages (ws, zod) as imports.
 * Type checking is `tsc --noEmit` in the build script, before this runs.
 */
import { chmod } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";

const root = join(import.meta.dirname, "..");
const outfile = join(root, "dist", "main.js");

await build({
  entryPoints: [join(root, "src", "main.ts")],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
});
await chmod(outfile, 0o755);
