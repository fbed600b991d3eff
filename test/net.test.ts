/**
 * src/net, the one address module. The tables pin the answers where the old
 * copies (engine, host model, parser helpers) disagreed; `was` notes the old
 * answer of the copy that was wrong.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { addrWithPort, endpoint, familyOf, inCidr, isLinkLocal, isLocalAddr, isLoopback, isMulticast, normalizeAddr, normalizeCidr, normalizeIp, parseCidr, subnetOf } from "../src/net/index.js";
import { addRecord, emptyBundle } from "../src/analyze/bundle.js";
import { buildFacts } from "../src/analyze/facts.js";
import { buildModel, isLocal } from "../src/analyze/model.js";
import { parse } from "../src/parse.js";

test("normalizeAddr / normalizeIp: one normal text per address", () => {
  const rows: [string, string | null, string?][] = [
    ["198.51.100.1", "198.51.100.1"],
    ["::ffff:127.0.0.1", "127.0.0.1"],
    ["::FFFF:172.17.0.2", "172.17.0.2"],
    ["2001:DB8:1:0:0:0:0:1", "2001:db8:1::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["[2001:db8::1]", "2001:db8::1"],
    ["[::1]", "::1"],
    ["fe80::1%eth0", "fe80::1", "engine: fe80::1%eth0 (the zone is no part of the address a rule matches)"],
    ["10.1", null, "engine: 10.0.0.1 (ipaddr.js reads 1-3 part and hex/octal IPv4 forms)"],
    ["0x0a.0.0.1", null, "engine: 10.0.0.1"],
    ["010.0.0.1", null, "engine: 8.0.0.1 (octal)"],
    ["256.1.1.1", null],
    ["*", null],
    ["localhost", null],
    ["", null],
  ];
  for (const [text, want, was] of rows) {
    assert.equal(normalizeAddr(text), want, `normalizeAddr(${text})${was ? `; was ${was}` : ""}`);
    assert.equal(normalizeIp(text)?.ip ?? null, want, `normalizeIp(${text})`);
  }
  assert.deepEqual(normalizeIp("::ffff:10.0.0.1"), { ip: "10.0.0.1", family: 4, mapped: true });
  assert.deepEqual(normalizeIp("2001:db8::1"), { ip: "2001:db8::1", family: 6, mapped: false });
});

test("CIDRs: prefix or netmask, membership across the ways an address is written", () => {
  const cidrs: [string, string | null][] = [
    ["10.0.0.0/8", "10.0.0.0/8"],
    ["10.0.0.1", "10.0.0.1/32"],
    ["192.168.1.0/255.255.255.0", "192.168.1.0/24"],
    ["fd00::/ffff:ffff::", "fd00::/32"], // parser helper: null (an IPv6 netmask was not read)
    ["FD00:0::/64", "fd00::/64"],
    ["::1", "::1/128"],
    ["10.0.0.0/33", null],
    ["10.0.0.0/255.0.255.0", null],
    ["host/24", null],
  ];
  for (const [text, want] of cidrs) assert.equal(normalizeCidr(text), want, `normalizeCidr(${text})`);
  assert.deepEqual(parseCidr("10.0.0.0/8")?.[1], 8);
  assert.equal(subnetOf("172.18.0.5", 16), "172.18.0.0/16");
  assert.equal(subnetOf("fd00:ab::5", 64), "fd00:ab::/64");
  assert.equal(subnetOf("172.18.0.5", 33), null);
  assert.equal(subnetOf("bridge", 16), null);

  const member: [string, string, boolean | null, string?][] = [
    ["172.17.0.2", "172.17.0.0/16", true],
    ["172.18.0.2", "172.17.0.0/16", false],
    ["::ffff:172.17.0.2", "172.17.0.0/16", true, "model: false (IPv4-mapped was read as IPv6)"],
    ["172.17.0.2", "::ffff:172.17.0.0/112", null],
    ["2001:DB8::5", "2001:db8::/32", true],
    ["fe80::1%eth0", "fe80::/10", true],
    ["10.0.0.1", "fd00::/8", null, "model: false"],
    ["10.0.0.1", "10.0.0.0/255.255.255.0", true, "model: false (netmask CIDRs did not parse)"],
    ["nonsense", "10.0.0.0/8", null],
  ];
  for (const [addr, cidr, want, was] of member) assert.equal(inCidr(addr, cidr), want, `inCidr(${addr}, ${cidr})${was ? `; was ${was}` : ""}`);
});

test("family, loopback, multicast, local", () => {
  assert.equal(familyOf("2001:db8::1"), 6);
  assert.equal(familyOf("10.0.0.1"), 4);
  const loop: [string, boolean, string?][] = [
    ["127.0.0.1", true],
    ["127.255.0.9", true],
    ["::1", true],
    ["0:0:0:0:0:0:0:1", true, "model: false"],
    ["::ffff:127.0.0.1", true, "model: false"],
    ["127.foo", false, "model: true (a prefix test on the text)"],
    ["128.0.0.1", false],
    ["::2", false],
  ];
  for (const [a, want, was] of loop) assert.equal(isLoopback(a), want, `isLoopback(${a})${was ? `; was ${was}` : ""}`);
  assert.equal(isMulticast("224.0.0.1"), true);
  assert.equal(isMulticast("ff02::1"), true);
  assert.equal(isMulticast("10.0.0.1"), false);
  for (const a of ["fe80::1", "fe80::42:42ff:fe14:1157", "FE80:0:0:0::1", "febf::1", "169.254.1.1"]) assert.equal(isLinkLocal(a), true, a);
  for (const a of ["fd00:17::1", "2001:db8:1::1", "fec0::1", "::1", "172.17.0.1", "not an address"]) assert.equal(isLinkLocal(a), false, a);

  const local = new Set(["198.51.100.1", "2001:db8:1::1"]);
  const rows: [string, boolean, string?][] = [
    ["198.51.100.1", true],
    ["2001:db8:1::1", true],
    ["2001:DB8:1:0::1", true, "model: false (the text was looked up as written)"],
    ["::ffff:198.51.100.1", true, "model: false"],
    ["::ffff:127.0.0.1", true, "model: false"],
    ["127.0.0.53", true],
    ["198.51.100.2", false],
    ["nonsense", false],
  ];
  for (const [a, want, was] of rows) assert.equal(isLocalAddr(a, local), want, `isLocalAddr(${a})${was ? `; was ${was}` : ""}`);
});

test("endpoint text: ip:port, [v6]:port, * for what is not known", () => {
  const rows: [string, string][] = [
    [endpoint("198.51.100.1", 8080), "198.51.100.1:8080"],
    [endpoint("2001:db8::1", 8080), "[2001:db8::1]:8080"],
    [endpoint("0.0.0.0", null), "0.0.0.0:*"],
    [endpoint(null, 53), "*:53"],
    [endpoint(null, null), "*:*"],
    [addrWithPort("172.17.0.2", 80), "172.17.0.2:80"],
    [addrWithPort("fd00::2", 80), "[fd00::2]:80"],
    [addrWithPort("fd00::2", null), "fd00::2"],
    [addrWithPort("10.0.0.1-10.0.0.9", "80-90"), "10.0.0.1-10.0.0.9:80-90"],
    [addrWithPort("", "8080"), ":8080"],
    [addrWithPort("10.0.0.1", ""), "10.0.0.1"],
  ];
  for (const [got, want] of rows) assert.equal(got, want);
});

test("a container's own `ip addr` (sosreport namespaces/NAME/) is not a host address, for the model as for the engine facts", async () => {
  const b = emptyBundle();
  const host = await parse("$ ip -o addr\n1: lo    inet 127.0.0.1/8 scope host lo\n2: eth0    inet 198.51.100.1/24 brd 198.51.100.255 scope global eth0\n", { file: "sos_commands/networking/ip_-o_addr" });
  const ctr = await parse("$ ip -o addr\n1: lo    inet 127.0.0.1/8 scope host lo\n9: eth0    inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0\n", { file: "sos_commands/networking/namespaces/web/ip_-o_addr" });
  assert.equal(ctr.records.length, 2, "the container capture parses");
  for (const r of [...host.records, ...ctr.records]) addRecord(b, r);
  const m = buildModel(b);
  assert.equal(isLocal(m, "198.51.100.1"), true);
  assert.equal(isLocal(m, "172.17.0.2"), false, "was true in the model (every ip addr record counted), false in the engine facts");
  assert.equal(buildFacts([...host.records, ...ctr.records], 4).localAddrs.has("172.17.0.2"), false);
});
