// PNG encode settings compared on what prepareImage encodes: a 4004×2996 RGB diagram (lines, text,
// translucent boxes) and the photo-like picture of bench/imagePrepare.ts, already resized. For each
// zlib level and filter choice: bytes and encode time (median of 3). Chooses nothing; it is the
// evidence behind PNG_OPTIONS in server/image/imagePrep.ts.
//
//   npm run bench:png        (after tsc: it reuses out/bench/imagePrepare.js's picture)
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

const require = createRequire(import.meta.url);
const { makeSource } = require('../out/bench/imagePrepare.js');
const W = 4004, H = 2996;

function diagramSvg() {
  let seed = 3;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const shapes = [];
  for (let i = 0; i < 300; i++) {
    const x = rand() * W, y = rand() * H;
    shapes.push(`<line x1="${x}" y1="${y}" x2="${x + rand() * 400}" y2="${y + rand() * 300}" stroke="#333" stroke-width="3"/>`,
      `<text x="${x}" y="${y}" font-size="${20 + rand() * 30}" fill="#124">Node ${i} α=${(rand() * 9).toFixed(2)}</text>`,
      `<rect x="${x}" y="${y}" width="${rand() * 300}" height="${rand() * 200}" fill="#${Math.floor(rand() * 0xffffff).toString(16).padStart(6, '0')}" fill-opacity="0.3"/>`);
  }
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="100%" height="100%" fill="#fff"/>${shapes.join('')}</svg>`);
}

async function rgb(input) {
  return sharp(input).resize(W, H, { fit: 'fill', kernel: 'cubic' }).flatten({ background: '#fff' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
}

async function median3(f) {
  const ts = [];
  let out;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    out = await f();
    ts.push(performance.now() - t0);
  }
  return { ms: ts.sort((a, b) => a - b)[1], bytes: out.length };
}

const dir = mkdtempSync(join(tmpdir(), 'virgo-bench-png-'));
try {
  const photoFile = join(dir, 'photo.png');
  await makeSource(4000, 3000, photoFile);
  const pictures = { diagram: await rgb(diagramSvg()), 'photo-like': await rgb(photoFile) };
  console.log('| picture | zlib level | row filters | bytes | encode ms |\n|---|---:|---|---:|---:|');
  for (const [name, { data, info }] of Object.entries(pictures)) {
    const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
    for (const compressionLevel of [1, 3, 6]) {
      for (const adaptiveFiltering of [false, true]) {
        const r = await median3(() => sharp(data, raw).png({ compressionLevel, adaptiveFiltering }).toBuffer());
        console.log(`| ${name} | ${compressionLevel} | ${adaptiveFiltering ? 'adaptive' : 'none'} | ${(r.bytes / 1e6).toFixed(2)} MB | ${r.ms.toFixed(0)} |`);
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
