/**
 * Builds the package's bin: bundles src/main.ts with the shared wire contract (durable-objects/protocol.ts,
 * outside this package) into one plain-JavaScript file for Node 20, leaving npm packages (ws, zod) as imports.
 * Type checking is `tsc --noEmit` in the build script, before this runs.
 *
 * The bundle is written to a staging folder in dist/ and then renamed into place, so a process starting the bin while a build
 * runs (the end-to-end test beside the bin's own test) reads the old file or the new one, never half of one.
 */
import { chmod, mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";

const root = join(import.meta.dirname, "..");
const dist = join(root, "dist");
await mkdir(dist, { recursive: true });
const staging = await mkdtemp(join(dist, ".build-"));

try {
  await build({
    entryPoints: [join(root, "src", "main.ts")],
    outfile: join(staging, "main.js"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: true,
    logLevel: "warning",
  });
  await chmod(join(staging, "main.js"), 0o755);
  // The map first: a bin that is in place always finds its map.
  await rename(join(staging, "main.js.map"), join(dist, "main.js.map"));
  await rename(join(staging, "main.js"), join(dist, "main.js"));
} finally {
  await rm(staging, { recursive: true, force: true });
}
