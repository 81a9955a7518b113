/**
 * The package's bin as shipped: compiled by `npm run build` (tsc) into edge-agent/dist and started on the Node
 * running the tests (plain Node 20 in CI), with no TypeScript loader.
 */
import { execFile } from "node:child_process";
import { access } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, it } from "vitest";

const run = promisify(execFile);
const agentDir = join(import.meta.dirname, "..", "..", "edge-agent");
const mainJs = join(agentDir, "dist", "main.js");

async function runAgent(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [mainJs], { env: { PATH: process.env.PATH ?? "", ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: unknown; stdout?: string; stderr?: string };
    return { code: Number(failed.code), stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

beforeAll(async () => {
  // The same command as the workspace's build script, with the root's TypeScript.
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  await run(process.execPath, [tsc, "-p", join(agentDir, "tsconfig.json")]);
  await access(mainJs);
}, 120_000);

describe("edge-agent dist/main.js", () => {
  it("should exit 2 naming the bad variable", async ({ expect }) => {
    const result = await runAgent({ EDGE_DEVICE_ID: "pi-kitchen", EDGE_DEVICE_TOKEN: "t", GPIO_BACKEND: "onoff" });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^edge-agent config: GPIO_BACKEND: /);
    expect(result.stdout).toBe("");
  });

  it("should start and log its configuration with a good one", async ({ expect }) => {
    const result = await runAgent({ EDGE_DEVICE_ID: "pi-kitchen", EDGE_DEVICE_TOKEN: "t", EDGE_TRANSPORT: "poll" });
    expect(result.code).toBe(0);
    const [first] = result.stdout.split("\n");
    expect(JSON.parse(first ?? "")).toEqual({
      level: "INFO",
      component: "edge-agent",
      message: "configured",
      device: "pi-kitchen",
      botplane: "http://127.0.0.1:8054",
      transport: "poll",
      gpio: "disabled",
    });
  });
});
