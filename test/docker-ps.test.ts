/** Table tests for the docker ps PORTS/STATUS grammar, plus a large table. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parsePorts, parseHeader, statusWord } from "../src/parsers/docker-ps.js";
import { parse } from "../src/parse.js";
import type { ContainerRecord } from "../src/types.js";

const short = (text: string) => parsePorts(text).ports.map((p) => `${p.hostIp ?? "-"}|${p.hostPort ?? "-"}|${p.containerPort}/${p.proto}`);

test("docker-ps: PORTS grammar", () => {
  assert.deepEqual(short(""), []);
  assert.deepEqual(short("80/tcp"), ["-|-|80/tcp"]);
  assert.deepEqual(short("0.0.0.0:8080->80/tcp, [::]:8080->80/tcp"), ["0.0.0.0|8080|80/tcp", "::|8080|80/tcp"]);
  assert.deepEqual(short(":::8080->80/tcp"), ["::|8080|80/tcp"]);
  assert.deepEqual(short("[2001:db8::1]:53->53/udp"), ["2001:db8::1|53|53/udp"]);
  assert.deepEqual(short("0.0.0.0:7000-7002->7000-7002/tcp"), ["0.0.0.0|7000|7000/tcp", "0.0.0.0|7001|7001/tcp", "0.0.0.0|7002|7002/tcp"]);
  assert.deepEqual(short("7000-7001/udp"), ["-|-|7000/udp", "-|-|7001/udp"]);
  assert.deepEqual(short("127.0.0.1:9090->9000/tcp"), ["127.0.0.1|9090|9000/tcp"]);
  assert.deepEqual(short("8080->80/tcp"), ["-|8080|80/tcp"]);
  assert.deepEqual(short("1.2.3.4:80->80/sctp"), ["1.2.3.4|80|80/sctp"]);
  assert.deepEqual(parsePorts("0.0.0.0:1-2->80/tcp, x/tcp, 80, host:80->80/tcp").bad, ["0.0.0.0:1-2->80/tcp", "x/tcp", "80", "host:80->80/tcp"]);
});

test("docker-ps: STATUS words", () => {
  assert.equal(statusWord("Up 13 minutes"), "running");
  assert.equal(statusWord("Up Less than a second"), "running");
  assert.equal(statusWord("Up 2 hours (healthy)"), "running");
  assert.equal(statusWord("Up 2 hours (Paused)"), "paused");
  assert.equal(statusWord("Exited (0) 2 hours ago"), "exited");
  assert.equal(statusWord("Restarting (1) 5 seconds ago"), "restarting");
  assert.equal(statusWord("Created"), "created");
  assert.equal(statusWord("Removal In Progress"), "removing");
  assert.equal(statusWord("Dead"), "dead");
  assert.equal(statusWord(""), null);
});

test("docker-ps: headers", () => {
  assert.deepEqual(parseHeader("NAMES     PORTS")?.map((c) => [c.name, c.start]), [["NAMES", 0], ["PORTS", 10]]);
  assert.equal(parseHeader("NAMES PORTS"), null, "tabwriter always leaves 3 blanks");
  assert.equal(parseHeader("IMAGE     COMMAND"), null, "needs NAMES or an ID column");
  assert.equal(parseHeader("Proto Recv-Q Send-Q Local Address"), null);
});

test("docker-ps: 20k rows all parse", async () => {
  const header = "CONTAINER ID   IMAGE             COMMAND           CREATED         STATUS         PORTS                                       NAMES";
  const row = "83f239c87b8e   natlens/fmt:lab   \"sleep 1000000\"   2 minutes ago   Up 2 minutes   0.0.0.0:8080->80/tcp, [::]:8080->80/tcp     web";
  const text = header + "\n" + (row + "\n").repeat(20_000);
  let n = 0;
  const r = await parse(text, { type: "docker-ps" });
  n = r.records.length;
  assert.equal(n, 20_000);
  assert.equal((r.records[0] as ContainerRecord).ports.length, 2);
});
