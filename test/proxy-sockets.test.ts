/** docker-proxy's binding from its own sockets (src/analyze/proxy-sockets.ts): only when they tell one. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { BundleSocket } from "../src/analyze/bundle.js";
import { proxiesFromSockets } from "../src/analyze/proxy-sockets.js";

let line = 0;
/** A host socket of an ss -tanp capture (hand-made, in the shape of lab-proxy's rows). */
function sock(pid: number | null, program: string | null, state: string, local: [string, number | null], remote: [string, number | null]): BundleSocket {
  return {
    source: { file: "handwritten-ss", line: ++line },
    format: "ss",
    netns: null,
    proto: "tcp",
    family: 4,
    localIp: local[0],
    localPort: local[1],
    remoteIp: remote[0],
    remotePort: remote[1],
    state,
    pid,
    program,
    inode: null,
    flags: [],
  } as BundleSocket;
}

const listener = sock(32243, "docker-proxy", "LISTEN", ["0.0.0.0", 8080], ["0.0.0.0", null]);
const frontend = sock(32243, "docker-proxy", "ESTAB", ["127.0.0.1", 8080], ["127.0.0.1", 40011]);
const backend = sock(32243, "docker-proxy", "ESTAB", ["172.17.0.1", 47212], ["172.17.0.2", 80]);

test("one listener and connections to one address and port: the binding docker-proxy serves", () => {
  const [p, ...rest] = proxiesFromSockets([listener, frontend, backend, sock(32243, "docker-proxy", "ESTAB", ["172.17.0.1", 47230], ["172.17.0.2", 80])], new Set());
  assert.equal(rest.length, 0);
  assert.equal(p!.pid, 32243);
  assert.equal(p!.listener, listener);
  assert.deepEqual([p!.containerIp, p!.containerPort], ["172.17.0.2", 80]);
});

test("nothing sure, nothing made: two targets, two listeners, no backend, a pid ps described, another owner", () => {
  const elsewhere = sock(32243, "docker-proxy", "ESTAB", ["172.17.0.1", 47300], ["172.17.0.3", 80]);
  assert.deepEqual(proxiesFromSockets([listener, backend, elsewhere], new Set()), []);
  const second = sock(32243, "docker-proxy", "LISTEN", ["0.0.0.0", 9090], ["0.0.0.0", null]);
  assert.deepEqual(proxiesFromSockets([listener, second, backend], new Set()), []);
  assert.deepEqual(proxiesFromSockets([listener, frontend], new Set()), []);
  assert.deepEqual(proxiesFromSockets([listener, backend], new Set([32243])), []);
  const socat = [sock(365, "socat", "LISTEN", ["0.0.0.0", 8080], ["0.0.0.0", null]), sock(365, "socat", "ESTAB", ["172.17.0.1", 47212], ["172.17.0.2", 80])];
  assert.deepEqual(proxiesFromSockets(socat, new Set()), []);
});
