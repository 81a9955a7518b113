/**
 * The operator console in a real Chromium against botplane served as `npm start` serves it, with seeded data:
 * sign-in, every page's rows, the live tail, a dead letter replayed from the UI, an API key created and
 * revoked from the UI, a read-only principal, and no console errors anywhere. Screenshots of the main pages go
 * to docs/console/ (the README shows them).
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
import { type Api, apiOf, type ChainbotSeed, LATE_INSTANCE, seed, seedChainbot } from "./console-seed.ts";

const root = join(import.meta.dirname, "../..");
const shots = join(root, "docs", "console");

let server: BotplaneServer;
let ollama: FakeOllama;
let browser: ConsoleBrowser;
let api: Api;
let admin: string;
let dir: string;
let late: { lateEventId: string; lateBotId: string };
let chainbot: ChainbotSeed;
let page: Page;

async function signIn(p: Page, credential: string): Promise<void> {
  await p.goto(`${server.origin}/console/`);
  await p.getByLabel("Token or API key").fill(credential);
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.getByRole("button", { name: "Sign out" }).waitFor();
}

/** Rows of one table (by its region label) once at least `min` are there. */
async function rows(p: Page, label: string, min = 1): Promise<number> {
  const region = p.getByRole("region", { name: label, exact: true });
  await region
    .locator("tr[data-row]")
    .nth(min - 1)
    .waitFor({ timeout: 10_000 });
  return region.locator("tr[data-row]").count();
}

async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
}

beforeAll(async () => {
  // `npm test` builds the console first; a single-file run builds it here if it is missing.
  if (!existsSync(join(root, "console/dist/console/index.html")))
    execFileSync(process.execPath, ["scripts/console-openapi.mjs"], { cwd: root, stdio: "inherit" });
  if (!existsSync(join(root, "console/dist/console/index.html")))
    execFileSync(process.execPath, ["node_modules/vite/bin/vite.js", "build", "--config", "console/vite.config.ts"], {
      cwd: root,
      stdio: "inherit",
    });
  mkdirSync(shots, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), "botplane-console-"));
  ollama = await startFakeOllama();
  server = await startBotplane({ persistDir: join(dir, "state") });
  admin = await mintToken("ops-admin", ["admin"]);
  api = apiOf(server.origin, admin);
  late = await seed(api, ollama.url);
  chainbot = await seedChainbot(api);
  browser = await launchBrowser();
  page = (await browser.open()).page;
});

afterAll(async () => {
  await browser?.close();
  await server?.kill();
  await ollama?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("operator console", () => {
  it("should serve the app at /console, deep links under it, and leave API 404s alone", async () => {
    const deep = await fetch(`${server.origin}/console/events/dead-letters`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('<div id="app">');
    const api404 = await fetch(`${server.origin}/api/v1/nothing-here`);
    expect(api404.status).toBe(404);
    expect(((await api404.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });

  it("should sign in with a token kept in sessionStorage, never in the URL", async () => {
    await signIn(page, admin);
    expect(page.url()).not.toContain(admin);
    expect(await page.evaluate(() => sessionStorage.getItem("botplane.credential"))).toBe(admin);
    expect(await page.evaluate(() => localStorage.getItem("botplane.credential"))).toBe(null);
  });

  it("should render real rows on every page", async () => {
    await page.goto(`${server.origin}/console/fleet`);
    expect(await rows(page, "instances", 2)).toBe(2);
    expect(await rows(page, "work items", 2)).toBe(2); // pending: 3 created, 1 claimed
    await shot(page, "fleet");

    await page.goto(`${server.origin}/console/events/history`);
    expect(await rows(page, "event history", 5)).toBeGreaterThanOrEqual(5);
    await page.goto(`${server.origin}/console/events/resources`);
    await page.getByRole("heading", { name: "Resources" }).waitFor();

    await page.goto(`${server.origin}/console/models`);
    expect(await rows(page, "providers")).toBe(1);
    expect(await rows(page, "inferences", 3)).toBe(3);
    expect(await rows(page, "cost per provider")).toBe(1);
    expect(await rows(page, "cost per workspace")).toBeGreaterThanOrEqual(1);
    await shot(page, "models");
    await page.getByRole("region", { name: "inferences", exact: true }).locator("tr[data-row] a").first().click();
    await page.getByRole("list", { name: "attempts" }).waitFor();
    expect(await rows(page, "feedback")).toBe(1);

    await page.goto(`${server.origin}/console/workflows`);
    expect(await rows(page, "workflows", 3)).toBe(3);
    await page.getByRole("link", { name: "Smart Data Processing" }).click();
    expect(await rows(page, "steps", 3)).toBe(3);

    await page.goto(`${server.origin}/console/chat`);
    expect(await rows(page, "phone bindings")).toBe(1);
    expect(await rows(page, "discord bindings")).toBe(1);

    await page.goto(`${server.origin}/console/devices`);
    expect(await rows(page, "edge devices")).toBe(1);
    await page.getByRole("link", { name: "pi-console" }).click();
    expect(await rows(page, "telemetry", 12)).toBe(12);
    // The one sent, and alert.set: the readings crossed EDGE_TEMP_ALERT_CELSIUS (80 °C) at 82.5 °C.
    expect(await rows(page, "commands", 2)).toBe(2);
    await page
      .getByRole("img", { name: /CPU temperature/ })
      .locator("canvas")
      .waitFor();
    await shot(page, "devices");
  });

  it("should show a workflow's validation issue at the step it names", async () => {
    await page.goto(`${server.origin}/console/workflows`);
    const editor = page.getByRole("form", { name: "workflow editor" });
    await editor.getByLabel("Definition (JSON)").fill(
      JSON.stringify({
        name: "bad",
        steps: [
          { id: "ok", type: "transform", output: { a: "1" } },
          { id: "check", type: "condition", expression: "${input.x} > 1", true_steps: ["nope"] },
        ],
      }),
    );
    await editor.getByRole("button", { name: "Create workflow" }).click();
    const flagged = editor.locator("li.step-error");
    await flagged.first().waitFor();
    expect(await flagged.count()).toBe(1);
    expect(await flagged.getAttribute("data-step")).toBe("1");
    expect(await flagged.textContent()).toContain("unknown step 'nope'");
    // Chromium logs every non-2xx fetch as a console error: this 400 is the one the test asked for, so it is
    // taken off the list (exactly one) and every other page must still log none.
    const asked = (e: string) => /\/console\/workflows: .*status of 400/.test(e);
    await expect.poll(() => browser.errors.filter(asked).length).toBe(1);
    const expected = browser.errors.filter(asked);
    browser.errors.splice(browser.errors.indexOf(expected[0] ?? ""), 1);
    await shot(page, "workflows");
  });

  it("should show an event published through the API in the live tail within a second", async () => {
    await page.goto(`${server.origin}/console/events`);
    await page.getByText("● live").waitFor();
    const marker = `console.tail.${Date.now()}.v1`;
    // The page stamps the moment the row is in the DOM (a MutationObserver), so the figure is the tail's own
    // latency, not Playwright's polling.
    const appeared = page.evaluate(
      (text) =>
        new Promise<number>((resolve) => {
          const region = document.querySelector('[aria-label="live events"]') ?? document.body;
          const seen = () => (region.textContent ?? "").includes(text);
          const observer = new MutationObserver(() => {
            if (!seen()) return;
            observer.disconnect();
            resolve(Date.now());
          });
          observer.observe(region, { childList: true, subtree: true, characterData: true });
        }),
      marker,
    );
    const sent = Date.now();
    await api("/api/v1/events", { body: { type: marker, source: "console-test", payload: { hello: "tail" } } });
    await page.getByRole("region", { name: "live events", exact: true }).getByText(marker).waitFor({ timeout: 5_000 });
    expect((await appeared) - sent).toBeLessThan(1_000);
    await shot(page, "events");
  });

  it("should plot request rate and latency from its own /metrics scrapes", async () => {
    await page.goto(`${server.origin}/console/`);
    await page.getByText("Collecting scrapes…").waitFor({ state: "detached", timeout: 15_000 });
    await page.getByRole("img", { name: "request latency percentiles (ms)" }).locator("canvas").waitFor();
    await page.waitForTimeout(6_000); // a few more scrapes, so the screenshot shows lines
    await shot(page, "overview");
  });

  it("should replay a dead letter from the UI and have it delivered", async () => {
    // The heartbeat seeded for a bot not registered yet retries (about a minute of backoff) into the dead letters.
    let letters: { dead_letters: { id: string; event_id: string | null }[] } = { dead_letters: [] };
    for (let i = 0; i < 120 && letters.dead_letters.length === 0; i++) {
      letters = (await api(`/api/v1/dead-letters?event_id=${late.lateEventId}`)) as typeof letters;
      if (letters.dead_letters.length === 0) await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(letters.dead_letters).toHaveLength(1);
    await api("/v1/botz/register", { body: { botz_name: "late", instance_id: LATE_INSTANCE, skill_level: "basic" } });

    await page.goto(`${server.origin}/console/events/dead-letters`);
    expect(await rows(page, "dead letters")).toBe(1);
    await shot(page, "dead-letters");
    await page.getByRole("button", { name: `Replay ${late.lateEventId}` }).click();
    await page.getByRole("status").getByText(`Replayed ${late.lateEventId}`).waitFor();

    let status = "";
    for (let i = 0; i < 50 && status !== "busy"; i++) {
      status = ((await api(`/v1/botz/${late.lateBotId}`)) as { status: string }).status;
      if (status !== "busy") await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe("busy");
  }, 180_000);

  it("should create an API key from the UI that works with curl, then revoke it from the UI", async () => {
    await page.goto(`${server.origin}/console/admin`);
    await page.getByLabel("Name").fill("console-scraper");
    await page.getByLabel("Scopes (space-separated)").fill("metrics:read");
    await page.getByRole("button", { name: "Create key" }).click();
    const key = (await page.getByTestId("new-key").textContent())?.trim() ?? "";
    expect(key).toMatch(/^bpk_/);
    const metrics = await fetch(`${server.origin}/metrics`, { headers: { "x-api-key": key } });
    expect(metrics.status).toBe(200);
    await metrics.body?.cancel();
    await shot(page, "admin");

    await page.getByRole("button", { name: "Revoke console-scraper" }).click();
    await page.getByRole("region", { name: "API keys", exact: true }).getByText("revoked").waitFor();
    const refused = await fetch(`${server.origin}/metrics`, { headers: { "x-api-key": key } });
    expect(refused.status).toBe(401);
    await refused.body?.cancel();
  });

  it("should hide admin actions from a read-only principal (on a dark phone) while the API still refuses them", async () => {
    const reader = await mintToken("ops-reader", ["botz:read", "workitems:read", "events:read"]);
    const { page: p, context } = await browser.open({ viewport: { width: 390, height: 844 }, colorScheme: "dark" });
    try {
      await signIn(p, reader);
      // A phone in dark mode: the console follows the system's scheme.
      expect(await p.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
      const nav = p.getByRole("navigation", { name: "pages" });
      expect(await nav.getByRole("link").allTextContents()).toEqual(["Overview", "Fleet", "Events"]);
      await p.goto(`${server.origin}/console/admin`);
      await p.getByRole("heading", { name: "Not found" }).waitFor();
      await p.goto(`${server.origin}/console/events/dead-letters`);
      await p.getByRole("region", { name: "dead letters", exact: true }).waitFor();
      expect(await p.getByRole("button", { name: /Replay/ }).count()).toBe(0);
      await p.goto(`${server.origin}/console/fleet`);
      await rows(p, "work items", 2);
      expect(await p.getByRole("button", { name: "Create item" }).count()).toBe(0);
      await shot(p, "fleet-phone-readonly");
      const res = await fetch(`${server.origin}/v1/admin/api-keys`, { headers: { authorization: `Bearer ${reader}` } });
      expect(res.status).toBe(403);
      await res.body?.cancel();
    } finally {
      await context.close();
    }
  });

  it("should execute a workflow from the UI, watch its steps appear live, and approve it from the UI", async () => {
    await page.goto(`${server.origin}/console/workflows/${chainbot.shipWorkflowId}`);
    await page.getByRole("heading", { name: "Ship order" }).waitFor();
    // Every (step, status) the timeline shows, in order, recorded by the page itself from DOM mutations: the
    // execution page takes no polls, so a step that changes in place got there over the /live socket.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { timeline: string[] }).timeline = seen;
      new MutationObserver(() => {
        for (const li of Array.from(document.querySelectorAll("li[data-step]"))) {
          const entry = `${li.getAttribute("data-step") ?? ""}:${li.getAttribute("data-status") ?? ""}`;
          if (!seen.includes(entry)) seen.push(entry);
        }
      }).observe(document.body, { childList: true, subtree: true, attributes: true });
    });
    const form = page.getByRole("form", { name: "execute workflow" });
    await form.getByLabel("Input (JSON object)").fill('{"qty": 3}');
    await form.getByRole("button", { name: "Execute" }).click();
    await page.waitForURL(/\/console\/workflows\/executions\//);
    const run = decodeURIComponent(page.url().split("/").pop() ?? "");
    await page.getByText("● live").waitFor();
    const timeline = page.getByRole("list", { name: "step timeline" });
    await timeline.locator('li[data-step="ok"][data-status="waiting"]').waitFor({ timeout: 15_000 });
    const seen = () => page.evaluate(() => (window as unknown as { timeline: string[] }).timeline);
    const before = await seen();
    expect(before).toContain("hold:completed");
    // The 3-second hold was on screen before it completed: it advanced live on this page.
    expect(before.findIndex((e) => e.startsWith("hold:") && e !== "hold:completed")).toBeLessThan(
      before.indexOf("hold:completed"),
    );
    expect(before.some((e) => e.startsWith("ship:"))).toBe(false);
    await shot(page, "execution-waiting");

    await page.getByRole("button", { name: "Approve" }).click();
    await timeline.locator('li[data-step="ship"][data-status="completed"]').waitFor();
    await page.getByTestId("execution-status").getByText("completed").waitFor();
    expect(await page.getByRole("button", { name: "Cancel" }).count()).toBe(0);
    const done = (await api(`/api/chainbot/executions/${run}`)) as {
      status: string;
      output: Record<string, unknown>;
      steps: { step_id: string; output: unknown }[];
    };
    expect(done.status).toBe("completed");
    expect(done.steps.find((s) => s.step_id === "ok")?.output).toMatchObject({ decision: "approved", approved: true });
    expect(done.output.ship).toEqual({ shipped: 15 });

    await page.goto(`${server.origin}/console/workflows/${chainbot.shipWorkflowId}`);
    const executions = page.getByRole("region", { name: "executions", exact: true });
    await executions.getByRole("link", { name: run }).waitFor();
    await page.getByLabel("Status").selectOption("running");
    await executions.getByText("No executions yet.").waitFor();
  });

  it("should pause, resume and cancel an execution and send it an event from the UI", async () => {
    const start = async () =>
      (
        (await api(`/api/chainbot/workflows/${chainbot.awaitWorkflowId}/execute`, { body: { input_data: {} } })) as {
          execution_id: string;
        }
      ).execution_id;
    const status = page.getByTestId("execution-status");
    const first = await start();
    await page.goto(`${server.origin}/console/workflows/executions/${first}`);
    await page.getByText("● live").waitFor();
    await page.getByRole("button", { name: "Pause" }).click();
    await status.getByText("paused").waitFor();
    expect(await page.getByRole("button", { name: "Pause" }).count()).toBe(0);
    await page.getByRole("button", { name: "Resume" }).click();
    await status.getByText("running").waitFor();
    await page.getByRole("button", { name: "Cancel" }).click();
    await status.getByText("cancelled").waitFor();
    expect(((await api(`/api/chainbot/executions/${first}`)) as { status: string }).status).toBe("cancelled");

    const second = await start();
    await page.goto(`${server.origin}/console/workflows/executions/${second}`);
    await page
      .getByRole("list", { name: "step timeline" })
      .locator('li[data-step="w"][data-status="waiting"]')
      .waitFor();
    const send = page.getByRole("form", { name: "send event" });
    await send.getByLabel("Event name").fill("go");
    await send.getByLabel("Payload (JSON)").fill('{"n": 7}');
    await send.getByRole("button", { name: "Send event" }).click();
    await status.getByText("completed").waitFor();
    expect(((await api(`/api/chainbot/executions/${second}`)) as { output: unknown }).output).toEqual({
      w: { event: "go", payload: { n: 7 }, by: "ops-admin", at: expect.any(String) as unknown },
      t: { went: 7 },
    });
  });

  it("should list, spawn and terminate agents from the UI", async () => {
    await page.goto(`${server.origin}/console/agents`);
    expect(await rows(page, "agents", 2)).toBe(2);
    const form = page.getByRole("form", { name: "spawn agent" });
    await form.getByLabel("Agent type").selectOption("api");
    await form.getByLabel("Agent name").fill("Billing");
    await form.getByLabel("Base URL").fill("https://api.example.com/v1");
    await form.getByLabel("Bearer token (optional)").fill("s3cr3t-token");
    await form.getByRole("button", { name: "Spawn" }).click();
    await form.getByRole("status").getByText("Spawned Billing").waitFor();
    expect(await rows(page, "agents", 3)).toBe(3);
    const agents = page.getByRole("region", { name: "agents", exact: true });
    expect(await agents.textContent()).not.toContain("s3cr3t-token");
    await shot(page, "agents");
    await page.getByRole("button", { name: "Terminate Billing" }).click();
    await agents.getByText("terminated").waitFor();
    const list = (await api("/api/chainbot/agents?status=terminated")) as { agents: { name: string }[] };
    expect(list.agents.map((a) => a.name)).toEqual(["Billing"]);
  });

  it("should show an entanglement's members and history, and a message sent from the UI live", async () => {
    await page.goto(`${server.origin}/console/entanglements`);
    expect(await rows(page, "entanglements")).toBe(1);
    await page.getByRole("link", { name: "Data Analysis Team" }).click();
    expect(await rows(page, "members", 2)).toBe(2);
    expect(await rows(page, "message history")).toBe(1);
    await page.getByText("● live").waitFor();
    const content = `Segment ${Date.now()} is ready`;
    const send = page.getByRole("form", { name: "send message" });
    await send.getByLabel("From", { exact: true }).selectOption({ label: "ETL" });
    await send.getByLabel("To", { exact: true }).selectOption({ label: "Orchestrator (private)" });
    await send.getByLabel("Message type", { exact: true }).selectOption("data");
    await send.getByLabel("Content").fill(content);
    await send.getByRole("button", { name: "Send" }).click();
    const live = page.getByRole("region", { name: "live messages", exact: true });
    await live.getByText(content).waitFor({ timeout: 5_000 });
    // One sent through the API arrives the same way.
    await api(`/api/chainbot/entanglements/${chainbot.teamId}/messages`, {
      body: { sender_id: chainbot.agentIds[1], content: "Run finished", message_type: "status" },
    });
    await live.getByText("Run finished").waitFor({ timeout: 5_000 });
    expect(await live.locator("tr[data-row]").first().textContent()).toContain("private");
    expect(await rows(page, "message history", 2)).toBeGreaterThanOrEqual(2);
    await live.scrollIntoViewIfNeeded();
    await shot(page, "entanglement");
    // The ETL's own view: the broadcasts and its private message, live as well.
    await page.getByLabel("View as").selectOption({ label: "ETL" });
    expect(await rows(page, "message history", 3)).toBe(3);
    await page.getByText("● live").waitFor();
  });

  it("should show a chainbot:read principal the execution but none of its actions", async () => {
    const reader = await mintToken("ops-chainbot-reader", ["chainbot:read"]);
    const { page: p, context } = await browser.open();
    try {
      await signIn(p, reader);
      const list = (await api(`/api/chainbot/workflows/${chainbot.shipWorkflowId}/executions`)) as {
        executions: { execution_id: string }[];
      };
      const run = list.executions[0]?.execution_id ?? "";
      await p.goto(`${server.origin}/console/workflows/executions/${run}`);
      await p.getByRole("list", { name: "step timeline" }).waitFor();
      await p.getByText("● live").waitFor();
      expect(await p.getByRole("region", { name: "Actions" }).count()).toBe(0);
      expect(await p.getByRole("button", { name: /Approve|Pause|Resume|Cancel/ }).count()).toBe(0);
      await p.goto(`${server.origin}/console/workflows/${chainbot.awaitWorkflowId}`);
      await p.getByRole("region", { name: "executions", exact: true }).waitFor();
      expect(await p.getByRole("form", { name: "execute workflow" }).count()).toBe(0);
      await p.goto(`${server.origin}/console/agents`);
      await rows(p, "agents", 3);
      expect(await p.getByRole("button", { name: /Terminate/ }).count()).toBe(0);
      expect(await p.getByRole("form", { name: "spawn agent" }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it("should have logged no console errors on any page", () => {
    expect(browser.errors).toEqual([]);
  });
});
