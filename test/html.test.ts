/**
 * The HTML report without a browser: escaping and the JSON data block as
 * properties, the CSP hashes against the page's own style and script, and the
 * page's markup rules (no style attribute, no URL but in-page anchors). The
 * rendered page is tested in Chromium by html-browser.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { inflateSync } from "node:zlib";
import { esc } from "../src/output/html/escape.js";
import { encodeData } from "../src/output/html/page.js";
import { reportHref, writeFleetIndex } from "../src/output/html/fleet.js";
import type { HostRow } from "../src/batch/host-row.js";
import { writeHtml } from "../src/output/html/report.js";
import type { Report } from "../src/analyze/report.js";
import { runCli } from "./_io.js";

const HOSTILE = "test/fixtures/_bundles/handwritten-hostile-lab";

const unescape = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|#39|#x[0-9a-f]+);/g, (_, e: string) =>
    e.startsWith("#x") ? String.fromCharCode(parseInt(e.slice(2), 16)) : ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" } as Record<string, string>)[e]!,
  );

test("esc: no markup or terminal control character survives, and the references decode back to the input (NUL shown as U+FFFD)", () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: "binary" }), fc.constantFrom("<script>", '"><img src=x onerror=a()>', "</style>", "&lt;", "\r\n", "\u0000")), (s) => {
      const out = esc(s);
      assert.doesNotMatch(out, /[<>"'\r\u0000\u001b\u0007\u007f\u202e]/);
      assert.equal(unescape(out), s.replace(/\u0000/g, "\ufffd"));
    }),
    { numRuns: 500 },
  );
});

test("encodeData: base64 only (nothing that can close its element), and inflates back to the same JSON", () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.string({ unit: "binary" }), (v, s) => {
      const value = { v, s, tag: `</script><!--${s}` };
      const text = encodeData(value);
      assert.match(text, /^[A-Za-z0-9+/]*={0,2}$/);
      assert.deepEqual(JSON.parse(inflateSync(Buffer.from(text, "base64")).toString("utf8")), JSON.parse(JSON.stringify(value)));
    }),
    { numRuns: 300 },
  );
});

async function report(dir: string): Promise<Report> {
  const r = await runCli(["analyze", "--format", "json", dir]);
  return JSON.parse(r.stdout) as Report;
}

function html(r: Report): string {
  let out = "";
  writeHtml(r, (t) => (out += t));
  return out;
}

test("html: the CSP allows exactly the page's one style and one script, by hash, and nothing from the network", async () => {
  const page = html(await report("samples/lab-proxy"));
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(page)?.[1];
  assert.ok(csp, "CSP meta tag");
  const sha = (t: string) => `'sha256-${createHash("sha256").update(t).digest("base64")}'`;
  const styles = [...page.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
  const scripts = [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  assert.equal(styles.length, 1);
  assert.equal(scripts.length, 1);
  const directives = Object.fromEntries(csp.split("; ").map((d) => [d.split(" ")[0], d.split(" ").slice(1).join(" ")]));
  assert.equal(directives["default-src"], "'none'");
  assert.equal(directives["script-src"], sha(scripts[0]!));
  assert.equal(directives["style-src"], sha(styles[0]!));
  for (const d of ["img-src", "connect-src", "base-uri", "form-action"]) assert.equal(directives[d], "'none'", d);
  // the CSP comes before anything it governs
  assert.ok(page.indexOf("Content-Security-Policy") < page.indexOf("<style>"));
});

/** Markup rules of every natlens page, checked on its text: the writer's tags only, no handler, style, src or URL. */
function assertInertMarkup(page: string): void {
  // Text never holds a raw "<" and attribute values never a raw '"', so every "<" opens one of the writer's tags.
  const markup = page.replace(/(<script[^>]*>)[\s\S]*?<\/script>/g, "$1</script>");
  const tags = [...markup.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s=>]+(?:="[^"]*")?)*)\s*\/?>/g)];
  assert.equal(tags.length, [...markup.matchAll(/<[a-zA-Z]/g)].length, "every tag parses as name + quoted attributes");
  const names = new Set(tags.map((t) => t[1]!.toLowerCase()));
  for (const bad of ["img", "b", "iframe", "object", "embed", "form", "base", "link", "a2"]) assert.ok(!names.has(bad), `<${bad}>`);
  for (const t of tags) {
    for (const a of t[2]!.matchAll(/\s+([^\s=>]+)(?:="([^"]*)")?/g)) {
      const name = a[1]!.toLowerCase();
      assert.ok(!name.startsWith("on"), `event handler ${name} on <${t[1]}>`);
      assert.notEqual(name, "style", `style attribute on <${t[1]}>`);
      assert.notEqual(name, "src", `src on <${t[1]}>`);
      if (name === "href") assert.match(a[2]!, /^(#[a-z0-9-]*|hosts\/[A-Za-z0-9._%-]+\/report\.html)$/, "only in-page anchors and relative report links");
      if (name === "marker-end") assert.equal(a[2], "url(#nl-arrow)");
    }
  }
  assert.equal([...page.matchAll(/<script\b/g)].length, 2, "the data block and the page's script only");
}

test("html: the hostile sample's strings never reach markup: no style attribute, no URL, no tag but the writer's own", async () => {
  const r = await report(HOSTILE);
  const page = html(r);
  assertInertMarkup(page);
  // each payload is in the page, escaped
  assert.ok(r.containers.some((c) => c.name.includes("<img")), "the fixture's names are hostile");
  for (const c of r.containers) assert.ok(page.includes(esc(c.name)), c.name);
});

test("html: under 1.5 MB for 1,000 flows with distinct evidence", async () => {
  const base = await report("samples/lab28-noproxy");
  const flows = Array.from({ length: 1000 }, (_, i) => {
    const f = structuredClone(base.flows[i % base.flows.length]!);
    f.client.port = 20000 + i;
    f.explanation += ` (copy ${i})`;
    for (const e of f.evidence) {
      e.line += i * 1000;
      e.text = `${e.text ?? ""} #${i}`;
    }
    return f;
  });
  const big: Report = { ...base, flows };
  const bytes = Buffer.byteLength(html(big));
  assert.ok(bytes < 1.5 * 1024 * 1024, `${bytes} bytes`);
});

test("analyze --to html and --format html write the same page; --help names html", async () => {
  const a = await runCli(["analyze", "--to", "html", "samples/lab-ipv6"]);
  const b = await runCli(["analyze", "--format", "html", "samples/lab-ipv6"]);
  assert.equal(a.code, 0, a.stderr);
  assert.ok(a.stdout.startsWith("<!DOCTYPE html>"));
  assert.equal(a.stdout, b.stdout);
  const help = await runCli(["analyze", "--help"]);
  assert.match(help.stdout, /"html"/);
});

test("fleet page: hostile host names, errors and findings stay text; report links stay relative under hosts/", () => {
  const evil = '"><img src=x onerror=alert(1)></style><script>alert(2)</script>';
  const row = (id: string, status: HostRow["status"]): HostRow => ({
    host_id: id, input: `/in/${evil}`, hostname: `h${evil}`, status, error: status === "failed" ? `e${evil}` : null,
    userland_proxy: status === "failed" ? null : "on", firewall_backend: status === "failed" ? null : `iptables${evil}`, docker_version: evil,
    containers: 1, published_ports: 1, flows: 3, flows_dnat: 1, flows_docker_proxy: 1, flows_direct: 1, flows_unknown: 0, flows_forwarder: 0,
    flows_sees_gateway: 1, warnings: 0, errors: 0, findings: `x=1;${evil}=2`,
    what_if_change: "userland-proxy=false", what_if_verdict: status === "failed" ? null : "breaks", what_if_breaks: status === "failed" ? null : 1, what_if_causes: status === "failed" ? null : `isolation=1;${evil}=1`,
    seconds: 0.1,
  });
  let page = "";
  writeFleetIndex([row("a", "ok"), row("javascript:alert(3)", "partial"), row("b", "failed")], (t) => (page += t), { hasReport: (r) => r.status !== "failed" });
  assertInertMarkup(page);
  assert.ok(page.includes(esc(`h${evil}`)));
  assert.equal(reportHref("javascript:alert(3)"), "hosts/javascript%3Aalert%283%29/report.html");
  assert.ok(page.includes('href="hosts/a/report.html"'));
  assert.ok(!page.includes('href="hosts/b/'), "no link for a failed host");
});
