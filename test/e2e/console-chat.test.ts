/**
 * The console's Chat page in a real Chromium against botplane served as `npm start` serves it, with chat data
 * seeded through the public API (a founder's turns over a fake Ollama, a budget, a scheduled job, phone and
 * Discord bindings): sessions, the workspace's costs and jobs, the bindings, one session's transcript, no
 * console errors, and a screenshot into docs/console/.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOllama, startFakeOllama } from "../fakes/fake-ollama.ts";
import { type BotplaneServer, mintToken, startBotplane } from "./botplane-server.ts";
import { type ConsoleBrowser, launchBrowser } from "./console-browser.ts";
import { type Api, apiOf } from "./console-seed.ts";

const root = join(import.meta.dirname, "../..");
const FOUNDER = "founder-chat-console";

let server: BotplaneServer;
let ollama: FakeOllama;
let browser: ConsoleBrowser;
let api: Api;
let admin: string;
let dir: string;
let page: Page;
let sessionId: string;

async function rows(p: Page, label: string, min = 1): Promise<number> {
  const region = p.getByRole("region", { name: label, exact: true });
  await region
    .locator("tr[data-row]")
    .nth(min - 1)
    .waitFor({ timeout: 10_000 });
  return region.locator("tr[data-row]").count();
}

async function seedChat(): Promise<void> {
  await api("/api/v1/models/config", {
    method: "PUT",
    contentType: "text/plain",
    body: `[providers.ollama]
type = "ollama"
url = "${ollama.url}"

[models.qwen-local]
provider = "ollama"
model = "qwen2.5:32b"

[functions.chat]
type = "chat"
variants = ["local"]

[functions.chat.variants.local]
model = "models.qwen-local"
`,
  });
  const founder = await mintToken(FOUNDER, ["chat:write", "chat:read"]);
  const first = (await api("/chat", { token: founder, body: { message: "plan my launch week" } })) as {
    session_id: string;
  };
  sessionId = first.session_id;
  await api("/chat", { token: founder, body: { message: "and the blockers?", session_id: sessionId } });
  await api(`/api/v1/chat/workspaces/${FOUNDER}/budget`, { method: "PUT", body: { monthly_usd: 25 } });
  await api("/api/v1/chat/scheduled-jobs", { token: founder, body: { type: "standup", schedule: "0 9 * * 1-5" } });
  await api("/api/v1/chat/phone-bindings/%2B15550002222", {
    method: "PUT",
    body: { user_id: FOUNDER, workspace_id: FOUNDER, trust_mode: 1 },
  });
  await api("/api/v1/chat/discord-bindings/300000000000000077", {
    method: "PUT",
    body: { user_id: FOUNDER, workspace_id: FOUNDER },
  });
}

beforeAll(async () => {
  if (!existsSync(join(root, "console/dist/console/index.html")))
    execFileSync(process.execPath, ["scripts/console-openapi.mjs"], { cwd: root, stdio: "inherit" });
  if (!existsSync(join(root, "console/dist/console/index.html")))
    execFileSync(process.execPath, ["node_modules/vite/bin/vite.js", "build", "--config", "console/vite.config.ts"], {
      cwd: root,
      stdio: "inherit",
    });
  mkdirSync(join(root, "docs", "console"), { recursive: true });
  dir = mkdtempSync(join(tmpdir(), "botplane-console-chat-"));
  ollama = await startFakeOllama();
  server = await startBotplane({ persistDir: join(dir, "state") });
  admin = await mintToken("ops-admin", ["admin"]);
  api = apiOf(server.origin, admin);
  await seedChat();
  browser = await launchBrowser();
  page = (await browser.open()).page;
});

afterAll(async () => {
  await browser?.close();
  await server?.kill();
  await ollama?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("console Chat page", () => {
  it("should show the workspace's sessions, costs, jobs and bindings, then a session's transcript", async () => {
    await page.goto(`${server.origin}/console/`);
    await page.getByLabel("Token or API key").fill(admin);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();

    await page.goto(`${server.origin}/console/chat?workspace=${FOUNDER}`);
    expect(await rows(page, "chat sessions")).toBe(1);
    const session = page.getByRole("region", { name: "chat sessions", exact: true }).locator("tr[data-row] td");
    expect(await session.nth(1).textContent()).toBe(FOUNDER);
    expect(await session.nth(5).textContent()).toBe("2");
    const costs = page.getByRole("group", { name: "workspace costs" });
    await costs.waitFor();
    expect(await costs.textContent()).toContain("$25.0000");
    expect(await rows(page, "scheduled jobs")).toBe(1);
    expect(await rows(page, "phone bindings")).toBe(1);
    expect(await rows(page, "discord bindings")).toBe(1);
    await page.screenshot({ path: join(root, "docs", "console", "chat.png"), fullPage: true });

    await page.getByRole("link", { name: sessionId.slice(0, 8) }).click();
    expect(await rows(page, "transcript", 2)).toBe(2);
    const transcript = page.getByRole("region", { name: "transcript", exact: true });
    expect(await transcript.textContent()).toContain("user: plan my launch week");
  });

  it("should have logged no console errors", () => {
    expect(browser.errors).toEqual([]);
  });
});
