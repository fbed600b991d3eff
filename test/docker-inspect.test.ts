/** docker-inspect: scanner edge cases and a large concatenation. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "../src/parse.js";
import type { ContainerRecord } from "../src/types.js";

const container = (i: number) =>
  JSON.stringify(
    [
      {
        Id: i.toString(16).padStart(64, "0"),
        Name: `/c${i}`,
        State: { Status: "running", Pid: 100 + i },
        HostConfig: { NetworkMode: "bridge", PortBindings: { "80/tcp": [{ HostIp: "", HostPort: String(8000 + (i % 1000)) }] } },
        Config: { Image: "img" },
        NetworkSettings: {
          Ports: { "80/tcp": [{ HostIp: "0.0.0.0", HostPort: String(8000 + (i % 1000)) }], "443/tcp": null },
          Networks: { bridge: { NetworkID: "n", IPAddress: "172.17.0.2", IPPrefixLen: 16, Gateway: "172.17.0.1", GlobalIPv6Address: "", IPv6Gateway: "", MacAddress: "" } },
        },
      },
    ],
    null,
    4,
  );

test("docker-inspect: strings with brackets and escaped quotes do not confuse the scanner", async () => {
  const doc = `[\n{"Id":"${"a".repeat(64)}","Name":"/x","State":{"Pid":0,"Status":"exited"},"NetworkSettings":{"Ports":{}},"Config":{"Image":"a\\"]}[{b"}}\n]\n{"Id":"${"b".repeat(64)}","Name":"/y","State":{"Pid":5},"HostConfig":{}}`;
  const r = await parse(doc, { type: "docker-inspect" });
  const names = r.records.map((c) => (c as ContainerRecord).name);
  assert.deepEqual(names, ["x", "y"]);
  assert.equal((r.records[0] as ContainerRecord).image, 'a"]}[{b');
  assert.equal((r.records[0] as ContainerRecord).pid, null);
  assert.equal(r.summary.skipped, 0);
});

test("docker-inspect: empty array, bare garbage and a stray bracket are accounted for", async () => {
  const r = await parse("[]\nhello\n]\n", { type: "docker-inspect" });
  assert.equal(r.records.length, 0);
  assert.equal(r.summary.skipped, 2);
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.line]), [["E_DOCKER_NOT_JSON", 2], ["E_DOCKER_NOT_JSON", 3]]);
});

test("docker-inspect: 2k concatenated documents keep their line numbers", async () => {
  const parts: string[] = [];
  for (let i = 0; i < 2_000; i++) parts.push(container(i));
  const text = parts.join("\n");
  const r = await parse(text, { type: "docker-inspect" });
  assert.equal(r.records.length, 2_000);
  const perDoc = container(0).split("\n").length;
  assert.equal((r.records[1_999] as ContainerRecord).source.line, 1_999 * perDoc + 2);
});
