/**
 * A sosreport as sos writes it: samples/lab-proxy-sos inside a
 * `sosreport-<host>-<date>-<random>/` top directory, with the real-world
 * shapes around it (root symlinks into sos_commands, sos_reports/,
 * sos_logs/, the rest of proc/, a copy of /etc and /sys with firmware
 * tables, other plugins' output, several `ps` views, and the look-alike
 * networking listings natlens must not take for routes). It analyses like
 * the sample directory, with no error diagnostics and one skip summary
 * instead of per-file noise.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCli } from "./_io.js";
import { archiveOf, membersOf, type Member } from "./_archives.js";

const TOP = "sosreport-natlens-lab-2026-11-27-qkzwtyb";
const tmp = mkdtempSync(path.join(tmpdir(), "natlens-sos-test-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

/** A real capture without its `$ command` line: sos files hold the output only. */
function output(fixture: string): Buffer {
  return Buffer.from(readFileSync(fixture, "utf8").replace(/^\$ .*\n/, ""));
}

/** The sample in sos shape, plus `irrelevant` files natlens must skip unread. */
function sosMembers(): { members: Member[]; irrelevant: number } {
  const members = membersOf("samples/lab-proxy-sos", `${TOP}/`).filter((m) => !/\/(EXPECTED\.json|README\.md)$/.test(m.name));
  let irrelevant = 0;
  const add = (name: string, data: Buffer | string) => {
    members.push({ name: `${TOP}/${name}`, data: Buffer.isBuffer(data) ? data : Buffer.from(data) });
    irrelevant++;
  };
  // root symlinks, as sos makes them
  members.push({ name: `${TOP}/ip_addr`, type: "symlink", linkname: "sos_commands/networking/ip_-o_addr" });
  members.push({ name: `${TOP}/ip_route`, type: "symlink", linkname: "sos_commands/networking/ip_route_show_table_all" });
  members.push({ name: `${TOP}/lsof`, type: "symlink", linkname: "sos_commands/process/lsof_M_-n_-l_-c" });
  // sos's own files
  add("sos_reports/manifest.json", JSON.stringify({ version: "4.8.1", cmdline: "sos report --batch" }));
  add("sos_reports/sos.html", "<html><body>sos</body></html>\n");
  add("sos_reports/sos.txt", "sos report\n");
  add("sos_logs/sos.log", "2026-11-27 10:00:00,000 INFO: sos report\n".repeat(50));
  add("sos_logs/ui.log", "Setting up archive ...\n");
  add("version.txt", "sos report version: 4.8.1\n");
  // the rest of proc/ (proc/net/dev and friends are not socket tables), /etc, /sys with binary firmware tables
  for (const f of ["cpuinfo", "meminfo", "interrupts", "mounts", "net/dev", "net/snmp", "net/netstat", "net/arp", "net/route", "net/unix", "sys/net/ipv4/ip_forward"]) add(`proc/${f}`, `${f}\n`);
  for (let i = 0; i < 1200; i++) add(`etc/conf.d/file-${i}.conf`, `key${i} = value\n`);
  for (let i = 0; i < 10; i++) add(`sys/firmware/acpi/tables/TBL${i}`, Buffer.from([0, 1, 2, 3, 0x41, 0x43, 0x50, 0x49, 0, i]));
  for (let i = 0; i < 800; i++) add(`sys/class/net/veth${i}/statistics/rx_bytes`, `${i * 97}\n`);
  for (let i = 0; i < 40; i++) add(`var/log/journal-${i}.log`, "Nov 27 10:00:00 host kernel: something\n");
  for (let i = 0; i < 300; i++) add(`sos_commands/kernel/sysctl_part_${i}`, `net.core.x${i} = 1\n`);
  for (let i = 0; i < 60; i++) add(`sos_commands/networking/ethtool_-S_veth${i}`, `NIC statistics:\n     peer_ifindex: ${i}\n`);
  add("sos_commands/systemd/systemctl_list-units", "UNIT LOAD ACTIVE SUB DESCRIPTION\n");
  add("sos_commands/docker/docker_logs_cc6dc0edbd6d", "listening on :80\n");
  add("sos_commands/process/lsof_M_-n_-l_-c", "COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME\n");
  add("sos_commands/process/pstree_-lp", "systemd(1)\n");
  // look-alike networking listings (real captures: test/fixtures/_reject/): sos reads them, natlens must not
  add("sos_commands/networking/bridge_fdb_show", output("test/fixtures/_reject/bridge_fdb_show.txt"));
  add("sos_commands/networking/ip_neigh_show", output("test/fixtures/_reject/ip_neigh.txt"));
  add("sos_commands/networking/ip_-s_-d_link", output("test/fixtures/_reject/ip_-s_link.txt"));
  add("sos_commands/networking/route_-n", output("test/fixtures/_reject/route_-n.txt"));
  // more ps views of the same processes: one is read
  const ps = readFileSync("samples/lab-proxy-sos/sos_commands/process/ps_auxwwwm");
  add("sos_commands/process/ps_auxwww", ps);
  add("sos_commands/process/ps_auxfwww", ps);
  return { members, irrelevant };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

test("sosreport archive: analyses like the sample directory, no error diagnostics, one skip summary", async () => {
  const { members, irrelevant } = sosMembers();
  const file = path.join(tmp, `${TOP}.tar.xz`);
  writeFileSync(file, await archiveOf("tar.xz", members));
  const r = await runCli(["analyze", "--to", "json", file]);
  const report = JSON.parse(r.stdout) as { diagnostics: { severity: string; code: string; message: string; file: string }[]; flows: unknown[]; inputs: { file: string }[] };
  assert.deepEqual(report.diagnostics.filter((d) => d.severity === "error"), []);
  // the sample directory skips 1 file of its own (docker_network_ls; sysctl_-a is read for --what-if) besides the added ones
  const summary = report.diagnostics.filter((d) => d.code === "I_LAYOUT_SKIPPED");
  assert.deepEqual(summary.map((d) => [d.file, d.message]), [[file, `${(irrelevant + 1).toLocaleString("en-US")} files outside the networking/process/container paths skipped (sosreport layout)`]]);
  assert.ok(irrelevant > 2400);
  // no per-file noise from the added files: what is read and not understood is the sample's own (date, docker_version, ...)
  const noise = report.diagnostics.filter((d) => d.code === "I_UNKNOWN_FORMAT" || d.code === "E_BINARY" || d.code === "E_IP_ROUTE").map((d) => d.file.slice(`${file}!/${TOP}/`.length));
  assert.deepEqual(noise, ["date", "sos_commands/docker/docker_version", "sos_commands/networking/netstat_-W_-agn"]);
  assert.ok(report.inputs.length < 40, `${report.inputs.length} inputs read`);
  // the text report cites members by their archive name
  const text = await runCli(["analyze", file]);
  assert.match(text.stdout, new RegExp(escapeRe(`${file}!/${TOP}/proc/net/nf_conntrack:`)));

  const ref = JSON.parse((await runCli(["analyze", "--to", "json", "samples/lab-proxy-sos"])).stdout) as Record<string, unknown>;
  const got = JSON.parse(r.stdout.split(`${file}!/${TOP}/`).join("samples/lab-proxy-sos/")) as Record<string, unknown>;
  for (const key of ["host", "containers", "published", "flows", "findings", "counts"]) assert.deepEqual(got[key], ref[key], key);
});

test("sosreport directory: the same layout rules, the same skip summary", async () => {
  const { members, irrelevant } = sosMembers();
  const dir = path.join(tmp, "unpacked");
  const { mkdirSync, symlinkSync } = await import("node:fs");
  for (const m of members) {
    const p = path.join(dir, m.name);
    if (m.type === "directory") mkdirSync(p, { recursive: true });
    else {
      mkdirSync(path.dirname(p), { recursive: true });
      if (m.type === "symlink") symlinkSync(m.linkname!, p);
      else writeFileSync(p, m.data!);
    }
  }
  const input = path.join(dir, TOP);
  const r = await runCli(["analyze", "--to", "json", input]);
  const report = JSON.parse(r.stdout) as { diagnostics: { severity: string; code: string; message: string }[] };
  assert.deepEqual(report.diagnostics.filter((d) => d.severity === "error"), []);
  assert.deepEqual(
    report.diagnostics.filter((d) => d.code === "I_LAYOUT_SKIPPED").map((d) => d.message),
    [`${(irrelevant + 1).toLocaleString("en-US")} files outside the networking/process/container paths skipped (sosreport layout)`],
  );
});

test("sosreport of a CRI-O node: the crio and kubernetes plugin folders name the engine; no Docker publishing to explain", async () => {
  const dir = path.join(tmp, "sosreport-k8s-node-2026-12-07-abcdef");
  // the networking part of a real capture, without Docker's plugin or a process list naming dockerd
  const networking = membersOf("samples/lab-proxy-sos/sos_commands/networking", "sos_commands/networking/").filter((m) => m.data);
  for (const m of networking) {
    mkdirSync(path.dirname(path.join(dir, m.name)), { recursive: true });
    writeFileSync(path.join(dir, m.name), m.data!);
  }
  mkdirSync(path.join(dir, "sos_commands", "crio"), { recursive: true });
  writeFileSync(path.join(dir, "sos_commands", "crio", "crictl_ps"), "CONTAINER  IMAGE  CREATED  STATE  NAME  ATTEMPT  POD ID  POD\n");
  mkdirSync(path.join(dir, "sos_commands", "kubernetes"), { recursive: true });
  writeFileSync(path.join(dir, "sos_commands", "kubernetes", "kubectl_get_nodes"), "NAME STATUS\n");
  const r = await runCli(["analyze", dir, "--to", "json"]);
  const j = JSON.parse(r.stdout) as { host: { engine: string; engineHow: string }; findings: { id: string; message: string }[] };
  assert.equal(j.host.engine, "cri-o", r.stderr);
  assert.equal(j.host.engineHow, "sosreport holds the crio, kubernetes plugin output");
  assert.ok(j.findings.some((f) => f.id === "other-engine" && f.message.startsWith("this host runs CRI-O, not Docker")));
  const text = await runCli(["analyze", dir]);
  assert.match(text.stdout, /^host \S+ {2}engine: cri-o {2}userland-proxy:/m);
});
