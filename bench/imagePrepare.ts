// Image preparation time and bytes: `npm run bench:image`. Sources are made here, deterministic:
// a diagram-like picture (flat fills, lines, text-like strokes) with a photographic noisy band.
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { prepareImage } from '../server/image/imagePrep';

async function makeSource(width: number, height: number, file: string): Promise<void> {
  const shapes: string[] = [];
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 400; i++) {
    const x = Math.floor(rand() * width), y = Math.floor(rand() * height);
    shapes.push(`<line x1="${x}" y1="${y}" x2="${x + rand() * 400}" y2="${y + rand() * 300}" stroke="#${Math.floor(rand() * 0xffffff).toString(16).padStart(6, '0')}" stroke-width="${1 + rand() * 6}"/>`);
    shapes.push(`<circle cx="${x}" cy="${y}" r="${rand() * 60}" fill="none" stroke="#333" stroke-width="2"/>`);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fafafa"/>${shapes.join('')}</svg>`;
  const base = await sharp(Buffer.from(svg)).png().toBuffer();
  // A photographic band (a quarter of the picture) so the PNG is not trivially compressible.
  const bandH = Math.floor(height / 4);
  const noise = Buffer.alloc(width * bandH * 3);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 7 + Math.floor(rand() * 64)) & 0xff;
  const band = await sharp(noise, { raw: { width, height: bandH, channels: 3 } }).blur(1.2).png().toBuffer();
  writeFileSync(file, await sharp(base).composite([{ input: band, top: height - bandH, left: 0 }]).png().toBuffer());
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'virgo-bench-img-'));
  for (const [w, h] of [[1920, 1080], [4000, 3000], [8000, 6000]]) {
    const file = join(dir, `${w}x${h}.png`);
    await makeSource(w, h, file);
    const times: number[] = [];
    let out = 0;
    let sent = '';
    for (let run = 0; run < 5; run++) {
      const t0 = performance.now();
      const img = await prepareImage(file);
      times.push(performance.now() - t0);
      out = img.bytes;
      sent = `${img.sentWidth}×${img.sentHeight} ${img.mime}, ${img.imageTokens} tokens`;
    }
    times.sort((a, b) => a - b);
    console.log(`${w}×${h} PNG ${(statSync(file).size / 1e6).toFixed(2)} MB → ${sent}, ${(out / 1e6).toFixed(2)} MB; median ${times[2].toFixed(0)} ms (min ${times[0].toFixed(0)}, max ${times[4].toFixed(0)})`);
  }
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}

void main();
