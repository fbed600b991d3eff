/**
 * The system Chromium (Debian's `chromium`, never a downloaded build) driven
 * by puppeteer-core, for the HTML report's browser tests and screenshots.
 */
import { existsSync } from "node:fs";
import puppeteer, { type Browser, type Page } from "puppeteer-core";

export const CHROMIUM = process.env["NATLENS_CHROMIUM"] ?? "/usr/bin/chromium";

export function haveChromium(): boolean {
  return existsSync(CHROMIUM);
}

export async function launch(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // root in CI and here: Chromium's sandbox needs an unprivileged user
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check"],
  });
}

export interface Opened {
  page: Page;
  /** Every request the page made after the document itself. */
  requests: string[];
  /** Console messages of type error and warning, and uncaught page errors. */
  errors: string[];
  /** Console messages of every type. */
  console: string[];
}

/** Open `file` (an absolute path) in a new tab, recording requests and console errors. */
export async function open(browser: Browser, file: string, opts: { width?: number; height?: number; colorScheme?: "light" | "dark" } = {}): Promise<Opened> {
  const page = await browser.newPage();
  await page.setViewport({ width: opts.width ?? 1280, height: opts.height ?? 900 });
  if (opts.colorScheme) await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: opts.colorScheme }]);
  const url = `file://${file}`;
  const requests: string[] = [];
  const errors: string[] = [];
  const consoleMessages: string[] = [];
  page.on("request", (req) => {
    if (req.url() !== url) requests.push(req.url());
  });
  page.on("console", (m) => {
    consoleMessages.push(`${m.type()}: ${m.text()}`);
    if (m.type() === "error" || m.type() === "warn") errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e instanceof Error ? e.message : String(e)}`));
  await page.goto(url, { waitUntil: "load" });
  return { page, requests, errors, console: consoleMessages };
}
