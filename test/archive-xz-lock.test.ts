/**
 * The in-process xz decoder (xz-decompress) decodes one stream at a time
 * behind a lock of its own. A stream left before its end (here: --max-bytes
 * reached) must give the lock back, or every later xz stream of the process
 * waits for ever (batch reads many hosts in one process). Built from a real
 * sample; small enough to be decoded in-process (decode.ts XZ_IN_PROCESS_BYTES).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readArchiveFile } from "../src/input/archive/read-archive.js";
import { DEFAULT_LIMITS } from "../src/input/archive/limits.js";
import { XZ_IN_PROCESS_BYTES } from "../src/input/archive/decode.js";
import { compressWith, membersOf, tarOf } from "./_archives.js";

test("an xz stream stopped at --max-bytes frees the decoder: the next xz archive of the process is read", { timeout: 60_000 }, async () => {
  const data = compressWith("xz", await tarOf(membersOf("samples/lab-proxy", "web01/")));
  assert.ok(data.length <= XZ_IN_PROCESS_BYTES, "decoded in-process");
  const file = path.join(mkdtempSync(path.join(tmpdir(), "natlens-xz-lock-")), "web01.tar.xz");
  writeFileSync(file, data);
  const small = { ...DEFAULT_LIMITS, maxBytes: 100_000 };
  for (let i = 0; i < 3; i++) {
    const r = await readArchiveFile(file, file, "xz", { limits: small, select: null });
    assert.match(JSON.stringify(r.sources[0]?.notes ?? []), /E_ARCHIVE_LIMIT/, `read ${i + 1}`);
  }
  const whole = await readArchiveFile(file, file, "xz", { limits: DEFAULT_LIMITS, select: null });
  assert.ok(whole.sources.length > 20 && !whole.sources.some((s) => s.notes), `${whole.sources.length} sources`);
});
