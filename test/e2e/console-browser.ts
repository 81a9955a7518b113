/**
 * One headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core: Playwright's own browser
 * download is not reachable here) with the fresh profile Playwright makes per launch, and every console error or page error it reports.
 */
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface ConsoleBrowser {
  browser: Browser;
  /** A new tab in its own context (own sessionStorage), with its errors collected into `errors`. */
  open(options?: {
    viewport?: { width: number; height: number };
    colorScheme?: "light" | "dark";
  }): Promise<{ page: Page; context: BrowserContext }>;
  errors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<ConsoleBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
  });
  const errors: string[] = [];
  return {
    browser,
    errors,
    async open({ viewport = { width: 1280, height: 900 }, colorScheme = "light" } = {}) {
      const context = await browser.newContext({ viewport, colorScheme });
      const page = await context.newPage();
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(`${page.url()}: ${m.text()}`);
      });
      page.on("pageerror", (e) => errors.push(`${page.url()}: ${e.message}`));
      return { page, context };
    },
    async close() {
      await browser.close();
    },
  };
}
