/**
 * The HTML report in a real browser: Debian's Chromium (never a downloaded
 * build; `.ci/run` installs it) driven by puppeteer-core, one browser for the
 * whole file. Every sample's page is opened from file:// and its rendered DOM
 * checked against the JSON report of the same bundle: one diagram per
 * container with its flow count and path styles, one row per flow with the
 * data-* contract, filters, finding links, row details, sorting, keyboard,
 * paging; no console error and no request. The hostile sample renders inert.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "puppeteer-core";
import type { Flow } from "../src/analyze/flows.js";
import type { Report } from "../src/analyze/report.js";
import { writeHtml } from "../src/output/html/report.js";
import { CHROMIUM, haveChromium, launch, open, type Opened } from "./_browser.js";
import { hostRows, testFleet } from "./_fleet.js";
import { runCli } from "./_io.js";

// The callbacks given to page.evaluate run in the page; the project compiles without the DOM library.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const window: any;

const HOSTILE = "test/fixtures/_bundles/handwritten-hostile-lab";
const samples = readdirSync("samples")
  .filter((d) => existsSync(path.join("samples", d, "EXPECTED.json")))
  .sort()
  .map((d) => path.join("samples", d));

let browser: Browser;
const tmp = mkdtempSync(path.join(os.tmpdir(), "natlens-html-"));

before(async () => {
  assert.ok(haveChromium(), `no Chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run does this), or set NATLENS_CHROMIUM`);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const ep = (ip: string, port: number | null) => `${ip.includes(":") ? `[${ip}]` : ip}:${port ?? "*"}`;

async function analyze(dir: string): Promise<{ report: Report; file: string }> {
  const json = await runCli(["analyze", "--format", "json", dir]);
  const file = path.join(tmp, `${path.basename(dir)}.html`);
  const r = await runCli(["analyze", "--to", "html", "-o", file, dir]);
  assert.ok(r.code <= 1, r.stderr);
  return { report: JSON.parse(json.stdout) as Report, file };
}

async function openReady(file: string): Promise<Opened> {
  const o = await open(browser, file);
  await o.page.waitForSelector("html.nl-ready", { timeout: 10_000 });
  return o;
}

/** Indices (id fN) of the flow rows that are displayed. */
const visible = (page: Page): Promise<number[]> =>
  page.evaluate(() => [...document.querySelectorAll("tr.flow")].filter((tr: any) => tr.getClientRects().length > 0).map((tr: any) => +tr.id.slice(1)));

const setSelect = (page: Page, attr: string, value: string) =>
  page.evaluate(
    (a: string, v: string) => {
      const s = document.querySelector(`select[data-filter="${a}"]`);
      s.value = v;
      s.dispatchEvent(new window.Event("change"));
    },
    attr,
    value,
  );

const FILTERS: { attr: string; of: (f: Flow) => string }[] = [
  { attr: "data-flow-path", of: (f) => f.pathDetail },
  { attr: "data-container", of: (f) => f.container?.name ?? "" },
  { attr: "data-client-kind", of: (f) => f.client.kind },
  { attr: "data-state", of: (f) => f.state },
  { attr: "data-confidence", of: (f) => f.confidence },
];

for (const dir of samples) {
  test(`html in Chromium: ${dir}`, async () => {
    const { report, file } = await analyze(dir);
    const o = await openReady(file);
    const { page } = o;

    // one row per flow, in report order, carrying the contract attributes
    const rows = await page.evaluate(() =>
      [...document.querySelectorAll("tr.flow")].map((tr: any) => ({ id: tr.id, path: tr.dataset.flowPath, client: tr.dataset.client, container: tr.dataset.container })),
    );
    assert.deepEqual(
      rows,
      report.flows.map((f, i) => ({ id: `f${i}`, path: f.pathDetail, client: ep(f.client.ip, f.client.port), container: f.container?.name ?? "" })),
    );

    // one diagram per container that flows end in, with its flow count and an edge style per path it saw
    const byContainer = new Map<string, Flow[]>();
    for (const f of report.flows) byContainer.set(f.container?.name ?? "", [...(byContainer.get(f.container?.name ?? "") ?? []), f]);
    const svgs = await page.evaluate(() =>
      [...document.querySelectorAll("svg[data-container]")].map((s: any) => ({
        name: s.getAttribute("data-container"),
        flows: s.getAttribute("data-flows"),
        text: s.textContent,
        edges: [...s.querySelectorAll("path.e")].map((p: any) => [...p.classList].find((c: string) => c.startsWith("e-"))),
        drawn: s.getBoundingClientRect().width > 0,
      })),
    );
    assert.deepEqual(svgs.map((s) => s.name).sort(), [...byContainer.keys()].sort());
    for (const s of svgs) {
      const flows = byContainer.get(s.name)!;
      assert.equal(s.flows, String(flows.length), s.name);
      assert.ok(s.text.includes(`${flows.length} flow${flows.length === 1 ? "" : "s"}`), `${s.name}: count shown`);
      assert.deepEqual(new Set(s.edges), new Set(flows.map((f) => `e-${f.pathDetail}`)), `${s.name}: path styles`);
      assert.ok(s.drawn, `${s.name}: rendered`);
    }

    // every filter, every value: exactly the flows with that value
    for (const flt of FILTERS) {
      for (const v of new Set(report.flows.map(flt.of))) {
        await setSelect(page, flt.attr, v);
        assert.deepEqual(await visible(page), report.flows.flatMap((f, i) => (flt.of(f) === v ? [i] : [])), `${flt.attr}=${v}`);
      }
      await setSelect(page, flt.attr, "");
    }
    assert.equal((await visible(page)).length, report.flows.length);

    // text filter: a client address
    const probe = report.flows[0]!.client.ip;
    await page.type("#nl-q", probe);
    assert.deepEqual(
      await visible(page),
      await page.evaluate((t: string) => [...document.querySelectorAll("tr.flow")].filter((tr: any) => tr.textContent.toLowerCase().includes(t.toLowerCase())).map((tr: any) => +tr.id.slice(1)), probe),
    );
    assert.ok((await visible(page)).includes(0));
    await page.evaluate(() => {
      const q = document.getElementById("nl-q");
      q.value = "";
      q.dispatchEvent(new window.Event("input"));
    });

    // finding links show the flows that cite the finding's evidence
    const links = await page.$$("a[data-finding]");
    for (const a of links) {
      const n = Number(await a.evaluate((x: any) => x.getAttribute("data-finding")));
      await a.click();
      const shown = await visible(page);
      assert.ok(shown.length > 0, `finding ${n} shows flows`);
      const cited = new Set(report.findings[n]!.evidence.map((e) => `${e.file}:${e.line}`));
      for (const i of shown) assert.ok(report.flows[i]!.evidence.some((e) => cited.has(`${e.file}:${e.line}`)), `flow ${i} is about finding ${n}`);
      await page.click("#nl-clear");
    }
    assert.equal((await visible(page)).length, report.flows.length);

    // a row expands, by mouse and by keyboard, to its explanation and evidence lines
    await page.click("#f0 button.x");
    const detail = await page.evaluate(() => document.querySelector("#f0 + tr.detail")?.textContent ?? null);
    const f0 = report.flows[0]!;
    assert.ok(detail?.includes(f0.explanation), "explanation shown");
    for (const e of f0.evidence) assert.ok(detail.includes(`${e.file}:${e.line}: ${e.text ?? ""}`), `evidence ${e.file}:${e.line}`);
    assert.equal(await page.$eval("#f0 button.x", (b: any) => b.getAttribute("aria-expanded")), "true");
    if (report.flows.length > 1) {
      await page.focus("#f1 button.x");
      await page.keyboard.press("Enter");
      assert.ok(await page.$("#f1 + tr.detail"), "Enter on the focused button expands");
      await page.keyboard.press("Space");
      assert.equal(await page.$("#f1 + tr.detail"), null, "Space collapses");
    }

    // sorting by client keeps every row (and its open details) and orders them
    await page.click('th[data-col="4"] button');
    const sorted = await page.evaluate(() => ({
      clients: [...document.querySelectorAll("tr.flow")].map((tr: any) => tr.cells[4].textContent),
      sort: document.querySelector('th[data-col="4"]').getAttribute("aria-sort"),
      detailAfterRow: document.querySelector("#f0 + tr.detail") !== null,
    }));
    assert.equal(sorted.sort, "ascending");
    assert.equal(sorted.clients.length, report.flows.length);
    assert.deepEqual(sorted.clients, [...sorted.clients].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })));
    assert.ok(sorted.detailAfterRow, "an open detail row moves with its row");

    assert.deepEqual(o.errors, [], "console errors");
    assert.deepEqual(o.requests, [], "requests");
    await page.close();
  });
}

test("html in Chromium: the hostile sample renders inert, its strings as text", async () => {
  const { report, file } = await analyze(HOSTILE);
  const o = await open(browser, file);
  const { page } = o;
  await page.waitForSelector("html.nl-ready", { timeout: 10_000 });
  // expand every row: the evidence lines (file names, rule comment) are rendered too
  await page.evaluate(() => document.querySelectorAll("tr.flow button.x").forEach((b: any) => b.click()));
  await page.waitForFunction((n: number) => document.querySelectorAll("tr.detail").length === n, {}, report.flows.length);
  const dom = await page.evaluate(() => ({
    pwned: window.pwned,
    title: document.title,
    h1: document.querySelector("h1").textContent,
    scripts: document.querySelectorAll("script").length,
    foreign: [...document.querySelectorAll("img, b, iframe, object, embed, form, base, link, svg svg, a:not([href^='#'])")].map((e: any) => e.outerHTML),
    handlers: [...document.querySelectorAll("*")].flatMap((e: any) => [...e.attributes].filter((a: any) => /^on|^style$|^src$/i.test(a.name)).map((a: any) => `${e.tagName} ${a.name}`)),
    cells: [...document.querySelectorAll("tr.flow")].map((tr: any) => ({ attr: tr.dataset.container, cell: tr.cells[3].textContent })),
    svgs: [...document.querySelectorAll("svg[data-container]")].map((s: any) => ({ name: s.getAttribute("data-container"), title: s.querySelector("g.ctr title").textContent })),
    details: [...document.querySelectorAll("tr.detail")].map((tr: any) => [...tr.querySelectorAll(".ev")].map((e: any) => e.textContent)),
    findingEv: [...document.querySelectorAll("#findings .ev")].map((e: any) => e.textContent),
  }));
  assert.equal(dom.pwned, undefined, "no payload ran");
  assert.deepEqual(o.requests, [], "no request left the page");
  assert.deepEqual(o.errors, [], "no console error (a blocked inline script or handler would log one)");
  assert.equal(dom.scripts, 2);
  assert.deepEqual(dom.foreign, []);
  assert.deepEqual(dom.handlers, []);
  const host = report.host.name!;
  assert.match(host, /<script>/);
  assert.equal(dom.title, `natlens: ${host}`);
  assert.equal(dom.h1, `host ${host}`);
  // DOM text equals the raw strings
  assert.deepEqual(
    dom.cells,
    report.flows.map((f) => ({ attr: f.container?.name ?? "", cell: f.container?.name ?? "" })),
  );
  assert.ok(report.flows.some((f) => /<img|<\/style>|javascript:/.test(f.container?.name ?? "")));
  for (const s of dom.svgs) assert.equal(s.title, s.name || "(unknown container)");
  report.flows.forEach((f, i) =>
    assert.deepEqual(
      dom.details[i],
      f.evidence.map((e) => `${e.file}:${e.line}: ${e.text ?? ""}${e.note ? `  (${e.note})` : ""}`),
      `flow ${i} evidence`,
    ),
  );
  const all = dom.details.flat().join("\n") + dom.findingEv.join("\n");
  for (const needle of ['netstat_-tanpeW"><img src=x onerror=window.pwned=10>', "javascript:window.pwned=11;<script>conntrack", '--comment "</style></script><script>window.pwned=9</script>"', '--label "evil=<script>window.pwned=7</script>"'])
    assert.ok(all.includes(needle), needle);
  await page.close();
});

test("html in Chromium: a 1,000-flow page pages its table, 200 rows at a time", async () => {
  const base = (await analyze("samples/lab28-noproxy")).report;
  const flows = Array.from({ length: 1000 }, (_, i) => {
    const f = structuredClone(base.flows[i % base.flows.length]!);
    f.client.port = 20000 + i;
    return f;
  });
  let html = "";
  writeHtml({ ...base, flows }, (t) => (html += t));
  const file = path.join(tmp, "big.html");
  writeFileSync(file, html);
  const o = await openReady(file);
  const { page } = o;
  assert.deepEqual(await visible(page), [...Array(200).keys()]);
  await page.click("#nl-next");
  assert.deepEqual(await visible(page), [...Array(200).keys()].map((i) => i + 200));
  assert.match(await page.$eval("#nl-status", (s: any) => s.textContent), /^flows 201–400 of 1000 matching/);
  // a filter goes back to the first page of its matches
  const path0 = flows[0]!.pathDetail;
  await setSelect(page, "data-flow-path", path0);
  const want = flows.flatMap((f, i) => (f.pathDetail === path0 ? [i] : []));
  assert.deepEqual(await visible(page), want.slice(0, 200));
  // a link to a row on a later page opens that page and the row
  await setSelect(page, "data-flow-path", "");
  await page.evaluate(() => (window.location.hash = "#f777"));
  await page.waitForSelector("#f777 + tr.detail");
  assert.ok((await visible(page)).includes(777));
  assert.deepEqual(o.errors, []);
  assert.deepEqual(o.requests, []);
  await page.close();
});

test("html in Chromium: batch writes index.html, one row per host, each link opening that host's report", async () => {
  const fleet = await testFleet();
  const out = path.join(tmp, "fleet-out");
  const r = await runCli(["batch", fleet.dir, "--out", out, "--jobs", "2", "-q"]);
  assert.equal(r.code, 1, r.stderr); // the generated fleet has a partial and a failed host
  const rows = hostRows(out);
  const o = await openReady(path.join(out, "index.html"));
  const { page } = o;
  const dom = await page.evaluate(() => ({
    rows: [...document.querySelectorAll("tr.host")].map((tr: any) => ({
      id: tr.dataset.hostId,
      status: tr.dataset.status,
      proxy: tr.dataset.userlandProxy,
      href: tr.querySelector("a.report")?.getAttribute("href") ?? null,
      bar: tr.querySelectorAll("svg.pathbar rect").length,
    })),
    chart: document.querySelector("svg.fleetchart")?.getAttribute("data-hosts") ?? null,
  }));
  assert.deepEqual(
    dom.rows.map(({ id, status, proxy, href }) => ({ id, status, proxy, href })),
    rows.map((h) => ({ id: h.host_id, status: h.status, proxy: h.userland_proxy ?? "unknown", href: h.status === "failed" ? null : `hosts/${h.host_id}/report.html` })),
  );
  dom.rows.forEach((d, i) => assert.equal(d.bar, rows[i]!.flows ? [rows[i]!.flows_dnat, rows[i]!.flows_docker_proxy, rows[i]!.flows_direct, rows[i]!.flows_unknown, rows[i]!.flows_forwarder].filter((n) => n).length : 0, `${d.id}: paths bar`));
  assert.equal(dom.chart, String(Math.min(60, rows.filter((h) => (h.flows ?? 0) > 0).length)));

  await setSelect(page, "data-status", "failed");
  const shown = await page.evaluate(() => [...document.querySelectorAll("tr.host")].filter((tr: any) => tr.getClientRects().length > 0).map((tr: any) => tr.dataset.hostId));
  assert.deepEqual(shown, rows.filter((h) => h.status === "failed").map((h) => h.host_id));
  await setSelect(page, "data-status", "");
  await page.click('th[data-col="7"] button');
  const flows = await page.evaluate(() => [...document.querySelectorAll("tr.host")].map((tr: any) => Number(tr.cells[7].getAttribute("data-s"))));
  assert.deepEqual(flows, [...flows].sort((a, b) => a - b), "sorted by flows");
  assert.deepEqual(o.errors, []);
  assert.deepEqual(o.requests, []);

  // every link works: the report it opens is that host's, one row per flow
  for (const h of rows.filter((x) => x.status !== "failed")) {
    await page.goto(`file://${path.join(out, "index.html")}`);
    await page.click(`tr.host[data-host-id="${h.host_id}"] a.report`);
    await page.waitForSelector("html.nl-ready");
    const got = await page.evaluate(() => ({ url: window.location.href, rows: document.querySelectorAll("tr.flow").length, h1: document.querySelector("h1").textContent }));
    assert.equal(got.url, `file://${path.join(out, "hosts", h.host_id, "report.html")}`);
    assert.equal(got.rows, h.flows, `${h.host_id}: rows`);
    assert.equal(got.h1, `host ${h.hostname ?? "(unnamed)"}`);
  }
  assert.deepEqual(o.errors, []);
  await page.close();
});
