/**
 * The package's bin as shipped: bundled by edge-agent/scripts/build.mjs (esbuild, the build script's second
 * step) into edge-agent/dist/main.js and started on the Node running the tests (plain Node 20 in CI), with no
 * TypeScript loader: a bad configuration, and a clean SIGTERM against the fake hub and fake Ollama.
 */
import { execFile, spawn } from "node:child_process";
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeAll, describe, it } from "vitest";
import { startFakeEdgeOllama } from "./fake-edge-ollama.js";
import { FakeHub, until } from "./fake-hub.js";

const run = promisify(execFile);
const agentDir = join(import.meta.dirname, "..", "..", "edge-agent");
const mainJs = join(agentDir, "dist", "main.js");
const cleanups: (() => Promise<void>)[] = [];

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
  await run(process.execPath, [join(agentDir, "scripts", "build.mjs")]);
  await access(mainJs);
}, 120_000);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("edge-agent dist/main.js", () => {
  it("should exit 2 naming the bad variable", async ({ expect }) => {
    const result = await runAgent({ EDGE_DEVICE_ID: "pi-kitchen", EDGE_DEVICE_TOKEN: "t", GPIO_BACKEND: "onoff" });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^edge-agent config: GPIO_BACKEND: /);
    expect(result.stdout).toBe("");
  });

  it("should on SIGTERM cancel the running job upstream, switch the LEDs off, close with 1000 and exit 0", async ({
    expect,
  }) => {
    const hub = new FakeHub({ deviceId: "pi-kitchen", token: "dist-token" });
    await hub.start();
    cleanups.push(() => hub.stop());
    const ollama = await startFakeEdgeOllama();
    cleanups.push(() => ollama.close());
    const dir = await mkdtemp(join(tmpdir(), "edge-agent-dist-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    // A kernel LED class fixture: the sysfs-led backend writes <label>/brightness and never creates it.
    for (const label of ["status", "error"]) {
      await mkdir(join(dir, "leds", label), { recursive: true });
      await writeFile(join(dir, "leds", label, "brightness"), "0\n");
    }
    const brightness = (label: string) => readFile(join(dir, "leds", label, "brightness"), "utf8");

    const child = spawn(process.execPath, [mainJs], {
      env: {
        PATH: process.env.PATH ?? "",
        EDGE_DEVICE_ID: "pi-kitchen",
        EDGE_DEVICE_TOKEN: "dist-token",
        BOTPLANE_URL: hub.url,
        OLLAMA_URL: ollama.url,
        EDGE_STATE_DIR: join(dir, "state"),
        ENABLE_HARDWARE_MONITORING: "false",
        ENABLE_GPIO_INTEGRATION: "true",
        GPIO_BACKEND: "sysfs-led",
        GPIO_LEDS_ROOT: join(dir, "leds"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (data: Buffer) => (stdout += data.toString("utf8")));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    });

    await until(() => hub.messages("hello").length === 1);
    await until(async () => (await brightness("status")) === "1\n");
    hub.send({
      type: "job",
      job_id: "job-long",
      seq: 1,
      kind: "llm.chat",
      request: { model: "hang", messages: [{ role: "user", content: "a long answer" }] },
      timeout_ms: 60_000,
    });
    await until(() => hub.messages("chunk").length === 1);

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(hub.messages("error")).toEqual([
      { type: "error", job_id: "job-long", message: "cancelled: agent shutting down" },
    ]);
    await until(() => hub.closes.length === 1);
    expect(hub.closes).toEqual([1000]);
    await until(() => ollama.chats[0]?.abandoned === true);
    expect([await brightness("status"), await brightness("error")]).toEqual(["0\n", "0\n"]);
    const lines = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { message: string });
    expect(lines[0]).toMatchObject({ level: "INFO", message: "configured", device: "pi-kitchen", gpio: "sysfs-led" });
    expect(lines.at(-1)).toMatchObject({ level: "INFO", message: "stopped" });
    expect(stdout).not.toContain("dist-token");
  });
});
