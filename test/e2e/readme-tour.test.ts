/**
 * README.md's API tour, executed: its sh blocks run in order in one bash session against a freshly started
 * botplane (the one `npm start` serves), so every command in it must work as written. The model gateway part
 * talks to a fake Ollama (test/fakes) through the tour's own `OLLAMA` variable.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOllama, startFakeOllama } from "../fakes/fake-ollama.ts";
import { type BotplaneServer, startBotplane } from "./botplane-server.ts";
import { CURLRC, tourScript } from "./readme-tour.ts";

const root = join(import.meta.dirname, "../..");
const TOUR_TIMEOUT_MS = 180_000;

interface Run {
  code: number | null;
  output: string;
}

function runBash(scriptPath: string, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const bash = spawn("bash", ["--noprofile", "--norc", scriptPath], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    bash.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")));
    bash.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")));
    const timer = setTimeout(() => bash.kill("SIGKILL"), TOUR_TIMEOUT_MS);
    bash.once("error", reject);
    bash.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("tourScript", () => {
  it("should keep only the tour's runnable sh blocks, each on its README line", () => {
    const readme = [
      "# title", // 1
      "## Quick start", // 2
      "```sh", // 3
      "npm start", // 4
      "```", // 5
      "## API tour", // 6
      "```sh", // 7
      "A=1", // 8
      "```", // 9
      "text", // 10
      "```sh no-run", // 11
      "websocat x", // 12
      "```", // 13
      "```toml", // 14
      "[x]", // 15
      "```", // 16
      "### sub", // 17
      "```sh", // 18
      "echo $A", // 19
      "```", // 20
      "## Configuration", // 21
      "```sh", // 22
      "npm run deploy", // 23
      "```", // 24
    ].join("\n");
    const tour = tourScript(readme);
    const lines = tour.script.split("\n");
    expect(lines.length).toBe(25);
    expect(lines[0]).toMatch(/^set -eEuo pipefail; /);
    expect(lines.slice(1, 24)).toEqual([
      ...Array<string>(6).fill(""),
      "A=1", // line 8
      ...Array<string>(10).fill(""),
      "echo $A", // line 19
      ...Array<string>(5).fill(""),
    ]);
    expect(lines[24]).toBe('echo "README tour: all blocks ran"');
    expect(tour.blocks).toEqual([8, 19]);
    expect(tour.skipped).toEqual([11]);
  });

  it("should refuse a README whose tour has an unclosed block", () => {
    expect(() => tourScript("# t\n## API tour\n```sh\necho\n")).toThrow(/never closed/);
  });
});

describe("README.md API tour", () => {
  let dir = "";
  let server: BotplaneServer | undefined;
  let ollama: FakeOllama | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "botplane-e2e-tour-"));
    ollama = await startFakeOllama();
    server = await startBotplane({ persistDir: join(dir, "state") });
  });

  afterAll(async () => {
    try {
      await server?.kill();
      await ollama?.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("should find the tour's blocks, with only the marked ones skipped", () => {
    const tour = tourScript(readFileSync(join(root, "README.md"), "utf8"));
    // Platform, API keys, BoTZ, the bus (two runnable blocks around one no-run), rate limits, the model
    // gateway, the chat gateway (no-run blocks: websocat on /ws, a Discord-signed interaction, a Twilio-signed
    // webhook), …, the edge devices (one no-run block starting the agent), the JimBot services (one no-run block
    // needing websocat and a decision backend): a parser that lost blocks would otherwise pass by running nothing.
    expect(tour.blocks.length).toBeGreaterThanOrEqual(7);
    expect(tour.skipped.length).toBe(6);
  });

  it("should run every command of the tour as written against a fresh server", async () => {
    if (!server || !ollama) throw new Error("not started");
    // The tour's curl configuration and two of its commands use --fail-with-body (curl 7.76, 2021).
    const curl = spawnSync("curl", ["--fail-with-body", "--version"], { encoding: "utf8" });
    expect(
      curl.status,
      `the README tour needs bash and curl >= 7.76: ${curl.stderr || (curl.error?.message ?? "")}`,
    ).toBe(0);
    const tour = tourScript(readFileSync(join(root, "README.md"), "utf8"));
    const scriptPath = join(dir, "tour.sh");
    writeFileSync(scriptPath, tour.script);
    writeFileSync(join(dir, ".curlrc"), CURLRC);
    const run = await runBash(scriptPath, { B: server.origin, OLLAMA: ollama.url, CURL_HOME: dir });
    const lines = run.output.split("\n");
    // The ERR trap's line names the README line and the command; the body curl printed comes just before it.
    const failed = lines.filter((l) => /^README\.md:\d+: exit status/.test(l)).join("\n");
    const tail = lines.slice(-30).join("\n");
    expect(run.code, `the README tour failed: ${failed || `exit ${String(run.code)}`}\nlast output:\n${tail}`).toBe(0);
    expect(run.output).toContain("README tour: all blocks ran");
  });
});
