/**
 * xz is decoded by the system's `xz -dc` when there is one and by the bundled
 * WebAssembly decoder otherwise (NATLENS_XZ=js forces it): both give the same
 * bytes, and both report a stream cut short as an error.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { decompress, type Budget } from "../src/input/archive/decode.js";

const hasXz = spawnSync("xz", ["--version"], { stdio: "ignore" }).status === 0;

async function decode(data: Buffer, js: boolean): Promise<Buffer> {
  const saved = process.env["NATLENS_XZ"];
  if (js) process.env["NATLENS_XZ"] = "js";
  else delete process.env["NATLENS_XZ"];
  try {
    const budget: Budget = { used: 0, limit: 1 << 30 };
    const chunks: Buffer[] = [];
    async function* src() {
      // small chunks, so the child's stdin is written many times
      for (let i = 0; i < data.length; i += 4096) yield data.subarray(i, i + 4096);
    }
    for await (const c of decompress("xz", src(), budget)) chunks.push(Buffer.from(c));
    return Buffer.concat(chunks);
  } finally {
    if (saved === undefined) delete process.env["NATLENS_XZ"];
    else process.env["NATLENS_XZ"] = saved;
  }
}

test("xz: the system decoder and the bundled one give the same bytes; both fail on a cut stream", { skip: hasXz ? false : "no xz on this machine to compress with" }, async () => {
  const plain = Buffer.concat([readFileSync("samples/lab-proxy/proc/net/tcp"), readFileSync("samples/lab-proxy/commands/iptables-save_-c")]);
  const packed = spawnSync("xz", ["-c"], { input: plain }).stdout;
  assert.deepEqual(await decode(packed, false), plain);
  assert.deepEqual(await decode(packed, true), plain);
  const cut = packed.subarray(0, Math.floor(packed.length / 2));
  await assert.rejects(decode(cut, false), /Unexpected end of input/);
  await assert.rejects(decode(cut, true));
});
