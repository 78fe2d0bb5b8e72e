import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../server/util/atomicWrite';

const atomicWriteModule = join(__dirname, '..', '..', 'server', 'util', 'atomicWrite.js');

test('a process killed mid-write leaves the old file whole, never a torn one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'virgo-atomic-'));
  try {
    const file = join(dir, 'history.json');
    // Versions of 64 MB written back to back: a kill at an arbitrary moment often lands inside a
    // write (a plain writeFile loses the file in this loop: truncated at open, torn mid-write).
    const SIZE = 64_000_000;
    writeFileSync(file, JSON.stringify({ version: 0, padding: 'x'.repeat(SIZE) }));
    const writer = `
      const { writeFileAtomic } = require(${JSON.stringify(atomicWriteModule)});
      const pad = Buffer.alloc(${SIZE}, 120);
      const big = (n) => Buffer.concat([Buffer.from('{"version":' + n + ',"padding":"'), pad, Buffer.from('"}')]);
      (async () => { for (let n = 1; ; n++) { await writeFileAtomic(${JSON.stringify(file)}, big(n)); process.stdout.write(n + '\\n'); } })();`;
    let seen = 0;
    for (let round = 0; round < 16; round++) {
      const child = spawn(process.execPath, ['-e', writer], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => {
        let out = '';
        child.stdout.on('data', (b: Buffer) => {
          if (out) return;
          out += b;
          // After the first whole write, kill it at a different moment each round.
          setTimeout(() => { child.kill('SIGKILL'); resolve(); }, (round * 13) % 70);
        });
      });
      await new Promise((r) => child.on('exit', r));
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { version: number; padding: string };
      assert.equal(parsed.padding.length, SIZE, 'the file is whole');
      assert.ok(parsed.version >= 1);
      seen++;
    }
    assert.equal(seen, 16);
    // Leftover temp files of killed writers are the only debris; they never replace the file.
    assert.ok(readdirSync(dir).filter((f) => f !== 'history.json').every((f) => f.endsWith('.tmp')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed write removes its temp file and keeps the old content', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'virgo-atomic-'));
  try {
    const file = join(dir, 'a.json');
    writeFileSync(file, 'old');
    // Renaming onto a path inside a missing folder fails after the temp file was written elsewhere.
    await assert.rejects(writeFileAtomic(join(dir, 'missing', 'b.json'), 'new'));
    assert.equal(readFileSync(file, 'utf8'), 'old');
    assert.deepEqual(readdirSync(dir), ['a.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
