/**
 * `npm run screenshots`: every sample's HTML report, rendered by the system
 * Chromium, as PNGs in screenshots/ (git-ignored): the full page
 * (`<sample>.png`), the first screen (`<sample>-top.png`) and its busiest
 * container's diagram (`<sample>-diagram.png`); light theme, and the first
 * sample's full page once more in the dark theme. docs/html-*.png are copies.
 *
 *   SCREENSHOT_SAMPLES=lab-proxy,lab28-noproxy npm run screenshots
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runCli } from "../test/_io.js";
import { CHROMIUM, haveChromium, launch, open } from "../test/_browser.js";

const OUT = "screenshots";

async function main(): Promise<number> {
  if (!haveChromium()) {
    process.stderr.write(`screenshots: no Chromium at ${CHROMIUM}\n    hint: apt-get install -y chromium (or set NATLENS_CHROMIUM)\n`);
    return 2;
  }
  const only = process.env["SCREENSHOT_SAMPLES"]?.split(",").filter(Boolean);
  const samples = readdirSync("samples")
    .filter((d) => existsSync(path.join("samples", d, "EXPECTED.json")))
    .filter((d) => !only || only.includes(d))
    .sort();
  mkdirSync(OUT, { recursive: true });
  const browser = await launch();
  try {
    for (const [i, s] of samples.entries()) {
      const html = path.resolve(OUT, `${s}.html`);
      const r = await runCli(["analyze", "--to", "html", "-o", html, path.join("samples", s)]);
      if (r.code > 1) throw new Error(`analyze ${s} exited ${r.code}: ${r.stderr}`);
      for (const scheme of i === 0 ? (["light", "dark"] as const) : (["light"] as const)) {
        const o = await open(browser, html, { width: 1100, colorScheme: scheme });
        const png = path.join(OUT, `${s}${scheme === "dark" ? "-dark" : ""}.png`);
        writeFileSync(png, await o.page.screenshot({ fullPage: true, type: "png" }));
        if (scheme === "light") {
          writeFileSync(path.join(OUT, `${s}-top.png`), await o.page.screenshot({ type: "png" }));
          const busiest = await o.page.$$eval("svg[data-container]", (svgs) =>
            svgs.reduce((best, svg, i, all) => (Number(svg.getAttribute("data-flows")) > Number(all[best]!.getAttribute("data-flows")) ? i : best), 0),
          );
          const figs = await o.page.$$("div.fig");
          if (figs[busiest]) writeFileSync(path.join(OUT, `${s}-diagram.png`), await figs[busiest].screenshot({ type: "png" }));
        }
        await o.page.close();
        process.stdout.write(`${png}${o.errors.length ? `  (console: ${o.errors.join("; ")})` : ""}\n`);
      }
    }
  } finally {
    await browser.close();
  }
  return 0;
}

process.exitCode = await main();
