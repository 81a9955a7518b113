// The console's first load (scenario `console-first-load`), beside a static page served the same way.
//
// It owns: building nothing (npm run bench builds the console first), serving botplane as `npm start` does
// (scripts/start.mjs: wrangler dev, Workers static assets for /console) and a one-page static site with the same
// [assets] mechanism (test/bench/static-page), then loading each page cold (a fresh browser context per load, so
// no cache) in Debian's Chromium through playwright-core, RUNS times. Per target it reports the bytes the page
// pulled over the network (navigation + resources, transferSize), the time until the sign-in field exists and
// accepts input (the console's time to interactive; for the static page the same field) and the load event,
// as medians. Knobs (env): BENCH_CONSOLE_RUNS (7), CHROMIUM_PATH (/usr/bin/chromium).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const RUNS = Number(process.env.BENCH_CONSOLE_RUNS ?? 7);
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
export const CONSOLE_SCENARIO = "console-first-load";

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

function killGroup(pid) {
  try {
    if (pid) process.kill(-pid, "SIGKILL"); // wrangler and its workerd children share the group
  } catch {
    // already gone
  }
}

async function serve(args, url) {
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    detached: true,
    stdio: "ignore",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", CI: "true" },
  });
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      if (res.ok) return { stop: () => killGroup(proc.pid) };
    } catch {
      // still starting
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  killGroup(proc.pid);
  throw new Error(`${url} never answered`);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : null;
};

async function measure(browser, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url, { waitUntil: "commit" });
  // rAF polling: the first frame in which the field exists and is enabled, on the page's own clock.
  const ready = await (
    await page.waitForFunction(
      () => {
        // Runs in the page (Playwright serialises it), where the DOM is global.
        const el = globalThis.document.querySelector("#credential");
        return el && !el.disabled ? performance.now() : false;
      },
      null,
      { polling: "raf", timeout: 30_000 },
    )
  ).jsonValue();
  await page.waitForLoadState("load");
  const figures = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const res = performance.getEntriesByType("resource");
    return {
      bytes: (nav?.transferSize ?? 0) + res.reduce((a, r) => a + r.transferSize, 0),
      decoded: (nav?.decodedBodySize ?? 0) + res.reduce((a, r) => a + r.decodedBodySize, 0),
      requests: 1 + res.length,
      load_ms: nav ? nav.loadEventEnd : null,
    };
  });
  await context.close();
  return { ...figures, interactive_ms: ready };
}

export async function consoleBench(log = (m) => process.stderr.write(`[bench] ${m}\n`)) {
  const dir = mkdtempSync(join(tmpdir(), "botplane-console-bench-"));
  const [botPort, staticPort, inspA, inspB] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const wrangler = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
  const servers = [];
  let browser;
  try {
    log("console: serving botplane (npm start's script) and the static baseline (wrangler dev, [assets])");
    servers.push(
      await serve(
        [
          "scripts/start.mjs",
          "--port",
          String(botPort),
          "--inspector-port",
          String(inspA),
          "--persist-to",
          join(dir, "s"),
        ],
        `http://127.0.0.1:${botPort}/console/`,
      ),
    );
    servers.push(
      await serve(
        [wrangler, "dev", "-c", "test/bench/static-page/wrangler.toml", "--port", String(staticPort)].concat([
          "--inspector-port",
          String(inspB),
          "--persist-to",
          join(dir, "b"),
        ]),
        `http://127.0.0.1:${staticPort}/`,
      ),
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    const targets = {
      console: `http://127.0.0.1:${botPort}/console/`,
      static_page: `http://127.0.0.1:${staticPort}/`,
    };
    const out = {};
    for (const [name, url] of Object.entries(targets)) {
      await measure(browser, url); // warm-up: wrangler's first request compiles and caches
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await measure(browser, url));
      out[name] = {
        runs: RUNS,
        bytes: median(runs.map((r) => r.bytes)),
        decoded_bytes: median(runs.map((r) => r.decoded)),
        requests: median(runs.map((r) => r.requests)),
        interactive_ms: Math.round(median(runs.map((r) => r.interactive_ms)) * 10) / 10,
        load_ms: Math.round(median(runs.map((r) => r.load_ms)) * 10) / 10,
      };
    }
    return out;
  } finally {
    await browser?.close();
    for (const s of servers) s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printConsoleTable(figures) {
  const rows = [["target", "bytes (wire)", "bytes (decoded)", "requests", "interactive ms", "load ms"]];
  for (const [name, f] of Object.entries(figures))
    rows.push([name, f.bytes, f.decoded_bytes, f.requests, f.interactive_ms, f.load_ms].map(String));
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(`\n${CONSOLE_SCENARIO} (medians of cold loads in Chromium, both served by wrangler dev's static assets)`);
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  "));
}
