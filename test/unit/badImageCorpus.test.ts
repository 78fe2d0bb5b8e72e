import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { startFakeBackend, type FakeBackend } from '../fakeBackend/fakeServer';

// The bad and odd image corpus, through the CLI as users run it: every file is either prepared
// right (exit 0, exact sizes) or refused with a message naming it (exit 2) — and in both cases
// a refused file sends nothing to the backend.
const root = join(__dirname, '..', '..', '..');
const cli = join(root, 'dist', 'virgo.js');
const dir = mkdtempSync(join(tmpdir(), 'virgo-bad-images-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function noise(width: number, height: number, channels: 3 | 4 = 3) {
  const data = Buffer.alloc(width * height * channels);
  let s = 99;
  for (let i = 0; i < data.length; i++) { s = (s * 1103515245 + 12345) >>> 0; data[i] = s >>> 24; }
  return sharp(data, { raw: { width, height, channels } });
}

/** A PNG whose header claims `w`×`h` with one tiny IDAT: a decompression bomb's shape. */
function bombPng(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (b: Buffer) => { let c = 0xffffffff; for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0, 0, 0, 0, 1])), chunk('IEND', Buffer.alloc(0))]);
}

type Expect = { ok: [width: number, height: number, sentWidth: number, sentHeight: number] } | { refused: RegExp };
const corpus: Array<[name: string, make: () => Promise<Buffer | string>, expect: Expect]> = [
  ['zero-byte.png', async () => Buffer.alloc(0), { refused: /empty/ }],
  ['truncated.png', async () => (await noise(300, 200).png().toBuffer()).subarray(0, 2000), { refused: /cut short|truncated/ }],
  ['truncated.jpg', async () => (await noise(300, 200).jpeg().toBuffer()).subarray(0, 3000), { refused: /cut short|truncated/ }],
  ['truncated.webp', async () => (await noise(300, 200).webp().toBuffer()).subarray(0, 1000), { refused: /cut short|truncated/ }],
  ['jpeg-named.png', async () => noise(320, 240).jpeg().toBuffer(), { ok: [320, 240, 308, 252] }],
  ['text-named.png', async () => 'not an image at all\n', { refused: /PNG, JPEG, WebP, GIF, BMP or TIFF/ }],
  ['page.html.png', async () => '<!DOCTYPE html><html><body>hi</body></html>', { refused: /PNG, JPEG, WebP, GIF, BMP or TIFF/ }],
  ['document.pdf', async () => '%PDF-1.7\n1 0 obj <<>> endobj\n', { refused: /PNG, JPEG, WebP, GIF, BMP or TIFF/ }],
  ['drawing.svg', async () => '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', { refused: /SVG.*rsvg-convert/s }],
  ['one-pixel.png', async () => sharp({ create: { width: 1, height: 1, channels: 3, background: '#f00' } }).png().toBuffer(), { ok: [1, 1, 56, 56] }],
  ['strip-30000x10.png', async () => sharp({ create: { width: 30000, height: 10, channels: 3, background: '#fff' } }).png().toBuffer(), { refused: /aspect ratio.*3000.*crop/is }],
  ['bomb-100000x100000.png', async () => bombPng(100000, 100000), { refused: /10,000,000,000|too many pixels|decompression/i }],
  ['cmyk.jpg', async () => noise(400, 300).toColourspace('cmyk').jpeg().toBuffer(), { ok: [400, 300, 392, 308] }],
  ['sixteen-bit.png', async () => noise(300, 300).toColourspace('rgb16').png().toBuffer(), { ok: [300, 300, 308, 308] }],
  ['grey.png', async () => noise(200, 100).greyscale().png().toBuffer(), { ok: [200, 100, 196, 112] }],
  ['palette.png', async () => noise(280, 140).png({ palette: true, colours: 16 }).toBuffer(), { ok: [280, 140, 280, 140] }],
  ['alpha.png', async () => noise(280, 280, 4).png().toBuffer(), { ok: [280, 280, 280, 280] }],
  ['animated.gif', async () => {
    const frames = await Promise.all(['#f00', '#0f0', '#00f'].map((c) => sharp({ create: { width: 120, height: 90, channels: 3, background: c } }).raw().toBuffer()));
    return sharp(Buffer.concat(frames), { raw: { width: 120, height: 270, channels: 3, pageHeight: 90 } }).gif().toBuffer();
  }, { ok: [120, 90, 112, 84] }],
  ['exif-rotated.jpg', async () => noise(400, 200).jpeg().withMetadata({ orientation: 6 }).toBuffer(), { ok: [200, 400, 196, 392] }],
  ['scan.tiff', async () => noise(500, 350).tiff().toBuffer(), { ok: [500, 350, 504, 336] }],
  ['photo.webp', async () => noise(640, 480).webp().toBuffer(), { ok: [640, 480, 644, 476] }],
  ['rle.bmp', async () => { const b = Buffer.alloc(70); b.write('BM'); b.writeUInt32LE(70, 2); b.writeUInt32LE(54, 10); b.writeUInt32LE(40, 14); b.writeInt32LE(4, 18); b.writeInt32LE(4, 22); b.writeUInt16LE(1, 26); b.writeUInt16LE(8, 28); b.writeUInt32LE(1, 30); return b; }, { refused: /compress|RLE/i }],
  // A 50 MB noisy photo: decoded, shrunk to the pixel budget, sent.
  ['photo-50MB.png', async () => noise(4100, 4100).png({ compressionLevel: 0 }).toBuffer(), { ok: [4100, 4100, 3584, 3584] }],
];

let backend: FakeBackend;
before(async () => { backend = await startFakeBackend(); });
after(() => backend.close());

function prepare(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'prepare', file, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = ''; let stderr = '';
    child.stdout.on('data', (b) => { stdout += b; });
    child.stderr.on('data', (b) => { stderr += b; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test(`the bad-image corpus (${corpus.length} files) is handled or refused with a clear message`, async () => {
  let handled = 0;
  let refused = 0;
  for (const [name, make, expect] of corpus) {
    const file = join(dir, name);
    writeFileSync(file, await make());
    const r = await prepare(file);
    if ('ok' in expect) {
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      const info = JSON.parse(r.stdout);
      assert.deepEqual([info.width, info.height, info.sentWidth, info.sentHeight], expect.ok, name);
      assert.equal(info.sentWidth % 28 + info.sentHeight % 28, 0);
      handled++;
    } else {
      assert.equal(r.code, 2, `${name} should be refused, got ${r.code}: ${r.stdout}`);
      assert.ok(r.stderr.includes(name), `${name}: the message names the file: ${r.stderr}`);
      assert.match(r.stderr, expect.refused, name);
      refused++;
    }
  }
  assert.ok(corpus.length >= 20);
  // A folder and a missing path are bad input too.
  mkdirSync(join(dir, 'folder.png'));
  assert.equal((await prepare(join(dir, 'folder.png'))).code, 2);
  assert.equal((await prepare(join(dir, 'missing.png'))).code, 2);
  console.log(`bad-image corpus: ${handled} handled, ${refused} refused, ${corpus.length + 2} files`);
});

test('a refused image never reaches the backend', async () => {
  const before = backend.requests.length;
  for (const name of ['zero-byte.png', 'bomb-100000x100000.png', 'drawing.svg', 'strip-30000x10.png', 'truncated.jpg']) {
    const code = await new Promise<number | null>((resolve) => {
      spawn(process.execPath, [cli, 'reason', join(dir, name), '--backend', backend.url, '--json'], { stdio: 'ignore' })
        .on('close', resolve);
    });
    assert.equal(code, 2, name);
  }
  assert.equal(backend.requests.length, before);
});
