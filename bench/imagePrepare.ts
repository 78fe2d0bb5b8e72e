// Image preparation time, bytes and peak memory: `npm run bench:image` (also part of `npm run bench`).
// Sources are made here, deterministic: a diagram-like picture (flat fills, lines, text-like
// strokes) with a photographic noisy band. Each size is measured in its own child process, so its
// peak RSS is its own (one process's maxRSS only ever grows) and sizes do not warm each other up.
//
//   node out/bench/imagePrepare.js [--json] [--runs N]
//   node out/bench/imagePrepare.js --one FILE --runs N      (the child: one JSON line)
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { PNG_OPTIONS, prepareImage } from '../server/image/imagePrep';

export const SIZES: Array<[number, number]> = [[1920, 1080], [4000, 3000], [8000, 6000]];

export async function makeSource(width: number, height: number, file: string): Promise<void> {
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

export interface SizeResult {
  width: number;
  height: number;
  bytesIn: number;
  bytesOut: number;
  sent: string;
  imageTokens: number;
  /** Median over the runs, and the first (cold: libvips and the code paths not warm yet). */
  medianMs: number;
  firstMs: number;
  minMs: number;
  maxMs: number;
  /** RSS with sharp and the core loaded, before the first prepare; and the process's peak. */
  rssBeforeMB: number;
  peakRssMB: number;
  /** Diagnostics, after the peak was read: the pipeline's stages timed apart (median of 3, ms). */
  stages: Record<string, number>;
  /** Bytes of the sent image if encoded with the fastest PNG settings instead. */
  fastPngBytes: number;
}

const time = async (f: () => Promise<unknown>, n = 3): Promise<number> => {
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f();
    ts.push(performance.now() - t0);
  }
  return ts.sort((a, b) => a - b)[Math.floor(n / 2)];
};

/**
 * Where prepareImage's time goes, stage by stage, with the settings it uses (libvips 'cubic'
 * resize, PNG_OPTIONS), plus the same encode at PNG level 1 unfiltered.
 */
async function stages(file: string, width: number, height: number): Promise<{ stages: Record<string, number>; fastPngBytes: number }> {
  const { readFile } = await import('node:fs/promises');
  const data = await readFile(file);
  const resized = () => sharp(data).resize(width, height, { fit: 'fill', kernel: 'cubic', fastShrinkOnLoad: false }).removeAlpha();
  const { data: raw, info } = await resized().raw().toBuffer({ resolveWithObject: true });
  const rawIn = { raw: { width: info.width, height: info.height, channels: info.channels } };
  const fast = await sharp(raw, rawIn).png({ compressionLevel: 1, adaptiveFiltering: false }).toBuffer();
  return {
    stages: {
      decode: await time(() => sharp(data).raw().toBuffer()),
      decodeResize: await time(() => resized().raw().toBuffer()),
      encodePng: await time(() => sharp(raw, rawIn).png(PNG_OPTIONS).toBuffer()),
      encodePng1: await time(() => sharp(raw, rawIn).png({ compressionLevel: 1, adaptiveFiltering: false }).toBuffer()),
    },
    fastPngBytes: fast.length,
  };
}

/** The child: prepares FILE `runs` times in this fresh process and prints one JSON line. */
async function measureOne(file: string, runs: number): Promise<void> {
  const rssBeforeMB = process.memoryUsage().rss / 2 ** 20;
  const times: number[] = [];
  let img;
  for (let run = 0; run < runs; run++) {
    const t0 = performance.now();
    img = await prepareImage(file);
    times.push(performance.now() - t0);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const result: SizeResult = {
    width: img!.width, height: img!.height, bytesIn: statSync(file).size, bytesOut: img!.bytes,
    sent: `${img!.sentWidth}×${img!.sentHeight} ${img!.mime}`, imageTokens: img!.imageTokens,
    medianMs: sorted[Math.floor(runs / 2)], firstMs: times[0], minMs: sorted[0], maxMs: sorted[runs - 1],
    rssBeforeMB, peakRssMB: process.resourceUsage().maxRSS / 1024,
    ...(await stages(file, img!.sentWidth, img!.sentHeight)),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

function child(file: string, runs: number): Promise<SizeResult> {
  return new Promise((resolve, reject) => {
    const c = fork(__filename, ['--one', file, '--runs', String(runs)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let out = '';
    c.stdout!.on('data', (d: Buffer) => { out += d.toString('utf8'); });
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as SizeResult) : reject(new Error(`image bench child exited with ${code}`))));
  });
}

export async function runImageBench(runs = 5, log: (s: string) => void = console.error): Promise<SizeResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'virgo-bench-img-'));
  try {
    const results: SizeResult[] = [];
    for (const [w, h] of SIZES) {
      const file = join(dir, `${w}x${h}.png`);
      await makeSource(w, h, file);
      log(`images: ${w}×${h}, ${runs} runs in a fresh process…`);
      results.push(await child(file, runs));
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(argv: string[]): Promise<void> {
  const num = (name: string, dflt: number): number => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  if (argv[0] === '--one') return measureOne(argv[1], num('--runs', 5));
  const results = await runImageBench(num('--runs', 5));
  if (argv.includes('--json')) {
    process.stdout.write(JSON.stringify(results) + '\n');
    return;
  }
  for (const r of results) {
    console.log(`${r.width}×${r.height} PNG ${(r.bytesIn / 1e6).toFixed(2)} MB → ${r.sent}, ${r.imageTokens} tokens, ${(r.bytesOut / 1e6).toFixed(2)} MB; ` +
      `median ${r.medianMs.toFixed(0)} ms (first ${r.firstMs.toFixed(0)}, min ${r.minMs.toFixed(0)}, max ${r.maxMs.toFixed(0)}); peak RSS ${r.peakRssMB.toFixed(0)} MB (${r.rssBeforeMB.toFixed(0)} MB before)`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
