/**
 * Containers known only by their address (no docker inspect in the bundle):
 * two addresses are one container only when the bundle shows them in one
 * network namespace, a socket table whose path names it (`proc/<pid>/net/`)
 * holding sockets with each as their local address; the model cites those
 * lines (I_CONTAINER_ADDRESSES). Real: samples/lab-ipv6 and
 * lab-ipv6-noproxy copied without what names their containers (docker
 * inspect, network inspect, docker ps), where web's tcp6 table holds its IPv6
 * address and, on its dual-stack socket, its IPv4 address. Hand-written
 * (test/fixtures/_bundles/handwritten-dualstack-apart): an IPv4-only and an
 * IPv6-only container whose addresses look alike, both seen in the host's
 * tables and in a third container's, as remote ends only: two containers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCli } from "./_io.js";

const tmp = mkdtempSync(path.join(tmpdir(), "natlens-address-only-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

interface Report {
  containers: { name: string; id: string; pid: number | null; addresses: { ip: string; bridge: string | null; gateway: string | null }[] }[];
  flows: { proto: string; client: { ip: string; port: number | null }; path: string; container: { name: string; ip: string; port: number } | null }[];
  diagnostics: { severity: string; code: string; file: string; line: number | null; message: string }[];
}
interface Expected {
  flows: { id: string; proto: string; path: string; client: { ip: string | null; port: number }; container: { name: string; ip: string } | null }[];
}

/** A copy of a sample without the files that name its containers: each would make the address-only ones unnecessary. */
function withoutInspect(sample: string): string {
  const dir = path.join(tmp, sample);
  cpSync(path.join("samples", sample), dir, { recursive: true });
  for (const f of readdirSync(path.join(dir, "docker"))) if (/^docker_(inspect|network_inspect|ps)/.test(f)) rmSync(path.join(dir, "docker", f));
  return dir;
}

async function analyze(dir: string): Promise<Report> {
  const r = await runCli(["analyze", "--to", "json", dir]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Report;
}

const WEB = "<172.17.0.2 fd00:17::242:ac11:2>";

for (const sample of ["lab-ipv6", "lab-ipv6-noproxy"]) {
  test(`${sample} without docker inspect: web's IPv4 and IPv6 addresses are one container, tied by its own socket table, cited`, async () => {
    const dir = withoutInspect(sample);
    const r = await analyze(dir);
    const web = r.containers.filter((c) => c.addresses.some((a) => a.ip === "172.17.0.2" || a.ip === "fd00:17::242:ac11:2"));
    assert.deepEqual(
      web.map((c) => [c.name, c.id, c.pid, c.addresses.map((a) => [a.ip, a.bridge, a.gateway])]),
      [[WEB, "", null, [["172.17.0.2", "docker0", "172.17.0.1"], ["fd00:17::242:ac11:2", "docker0", "fd00:17::1"]]]],
    );
    // the evidence: web's tcp6 table (proc/<pid>/net/tcp6), a socket on each address, each line cited
    const notes = r.diagnostics.filter((d) => d.code === "I_CONTAINER_ADDRESSES");
    assert.equal(notes.length, 1, JSON.stringify(notes));
    const note = notes[0]!;
    assert.equal(note.severity, "info");
    const m = /^172\.17\.0\.2 and fd00:17::242:ac11:2 are one container, <172\.17\.0\.2 fd00:17::242:ac11:2>: the sockets of a network namespace have them as their local addresses \(pid (\d+)'s network namespace: (.*)\)$/.exec(note.message);
    assert.ok(m, note.message);
    const cites = m[2]!.split(", ").map((c) => /^(\S+) at (.+):(\d+)$/.exec(c)!);
    assert.deepEqual(cites.map((c) => c[1]).sort(), ["172.17.0.2", "fd00:17::242:ac11:2"]);
    assert.deepEqual([note.file, note.line], [cites[0]![2], Number(cites[0]![3])]);
    // each cited line is a socket of that pid's table whose LOCAL address is the one named (kernel hex)
    const hex = { "172.17.0.2": "0000000000000000FFFF0000020011AC", "fd00:17::242:ac11:2": "170000FD0000000042020000020011AC" } as Record<string, string>;
    for (const c of cites) {
      assert.equal(c[2], path.join(dir, "proc", m[1]!, "net", "tcp6"));
      const row = readFileSync(c[2]!, "utf8").split("\n")[Number(c[3]) - 1]!.trim().split(/\s+/);
      assert.equal(row[1]!.split(":")[0], hex[c[1]!], `${c[2]}:${c[3]} local address`);
    }
    // every flow to web, over either family, is attributed to the one container, at the address it reached
    const expected = JSON.parse(readFileSync(path.join(dir, "EXPECTED.json"), "utf8")) as Expected;
    let seen = 0;
    for (const e of expected.flows) {
      if (e.container?.name !== "web" || e.path === "failed") continue;
      const f = r.flows.find((x) => x.proto === e.proto && x.client.port === e.client.port && (e.client.ip === null || x.client.ip === e.client.ip));
      assert.ok(f, `${e.id}: no flow`);
      assert.equal(f.path, e.path, e.id);
      assert.deepEqual([f.container?.name, f.container?.ip], [WEB, e.container.ip], e.id);
      seen++;
    }
    assert.ok(seen >= 4, `${seen} flows to web`);
  });
}

test("handwritten: an IPv4-only and an IPv6-only container whose addresses look alike stay two, though the host's and a client's tables hold both", async () => {
  const dir = "test/fixtures/_bundles/handwritten-dualstack-apart";
  const r = await analyze(dir);
  assert.deepEqual(
    r.containers.map((c) => [c.name, c.addresses.map((a) => a.ip)]).sort(),
    [
      ["<172.17.0.2>", ["172.17.0.2"]],
      ["<fd00:17::242:ac11:2>", ["fd00:17::242:ac11:2"]],
    ],
  );
  assert.deepEqual(r.diagnostics.filter((d) => d.code === "I_CONTAINER_ADDRESSES"), []);
  // the host's own legs to each (its tables hold both addresses, as remote ends) reach two containers
  assert.deepEqual(
    r.flows.map((f) => [f.client.ip, f.container?.name, f.container?.ip]).sort(),
    [
      ["172.17.0.1", "<172.17.0.2>", "172.17.0.2"],
      ["fd00:17::1", "<fd00:17::242:ac11:2>", "fd00:17::242:ac11:2"],
    ],
  );
});
