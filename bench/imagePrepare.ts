// Image preparation time, bytes and peak memory: `npm run bench:image` (also part of `npm run bench`).
// Sources are made here, deterministic: a diagram-like picture (flat fills, lines, text-like
// strokes) with a photographic noisy band. Each size is measured in its own child process, so its
// peak RSS is its own (one process's maxRSS only ever grows) and sizes do not warm each other up.
//
//   node out/bench/imagePrepare.js [--json] [--runs N]
//   node out/bench/imagePrepare.js --one FILE --runs N      (the child: one JSON line)
//   node out/bench/imagePrepare.js --png-table [--runs N]  (PNG encoder settings: time and bytes)
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants as zlibConstants } from 'node:zlib';
import sharp from 'sharp';
import { prepareImage } from '../server/image/imagePrep';
import { type DeflateChoice, deflateChoice, encodePng } from '../server/image/pngEncode';
import { type Canvas, MAX_SHRINK, canvasRgb, createCanvas } from '../server/image/resample';
import { smartResize } from '../server/image/smartResize';

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
  /** Bytes of the sent image if encoded with libvips' fastest PNG settings (level 1, unfiltered). */
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

/** The source decoded as prepareImage decodes it (libvips shrinks only by more than MAX_SHRINK). */
async function decode(data: Buffer): Promise<{ raw: Buffer; info: sharp.OutputInfo; sent: { width: number; height: number } }> {
  const meta = await sharp(data).metadata();
  const sent = smartResize(meta.height, meta.width);
  let pipeline = sharp(data).autoOrient();
  if (meta.width > sent.width * MAX_SHRINK || meta.height > sent.height * MAX_SHRINK) {
    pipeline = pipeline.resize(sent.width, sent.height, { fit: 'fill', kernel: 'cubic', fastShrinkOnLoad: false }).flatten({ background: '#ffffff' });
  }
  const { data: raw, info } = await pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { raw, info, sent };
}

function loaded(d: Awaited<ReturnType<typeof decode>>): Canvas {
  const c = createCanvas(d.info.width, d.info.height, d.sent.width, d.sent.height);
  c.load(d.raw, d.info.channels);
  return c;
}

/**
 * Where prepareImage's time goes, stage by stage (median of 3, each timed alone): the decode
 * (libvips), flatten + Pillow-exact resample of every row (resample.ts, with the copies into and out
 * of kernel memory), the PNG encode with prepareImage's settings (pngEncode.ts, which resamples strip
 * by strip itself), and, for comparison, libvips' PNG encoder as this project used it before (level 6,
 * adaptive filtering) and at level 1 unfiltered, whose size is fastPngBytes.
 */
async function stages(file: string): Promise<{ stages: Record<string, number>; fastPngBytes: number }> {
  const data = readFileSync(file);
  const d = await decode(data);
  const resampled = loaded(d);
  const rgb = canvasRgb(resampled);
  resampled.release();
  const rawIn = { raw: { width: d.sent.width, height: d.sent.height, channels: 3 as const } };
  const fast = await sharp(rgb, rawIn).png({ compressionLevel: 1, adaptiveFiltering: false }).toBuffer();
  const encodeOnce = async (): Promise<void> => {
    const c = loaded(d);
    try {
      await encodePng(c);
    } finally {
      c.release();
    }
  };
  return {
    stages: {
      decode: await time(() => decode(data)),
      resample: await time(async () => {
        const c = loaded(d);
        canvasRgb(c);
        c.release();
      }),
      encodePng: await time(encodeOnce),
      libvipsPng6Adaptive: await time(() => sharp(rgb, rawIn).png({ compressionLevel: 6, adaptiveFiltering: true }).toBuffer()),
      libvipsPng1: await time(() => sharp(rgb, rawIn).png({ compressionLevel: 1, adaptiveFiltering: false }).toBuffer()),
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
    ...(await stages(file)),
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

const CHOICES: Array<[string, DeflateChoice]> = [
  ['Z_RLE', { level: 1, strategy: zlibConstants.Z_RLE }],
  ['level 1', { level: 1, strategy: zlibConstants.Z_DEFAULT_STRATEGY }],
  ['level 3', { level: 3, strategy: zlibConstants.Z_DEFAULT_STRATEGY }],
  ['level 6', { level: 6, strategy: zlibConstants.Z_DEFAULT_STRATEGY }],
];

/**
 * The PNG encoder's settings side by side on the benchmark's sources and a screenshot-like image:
 * wall and CPU time of pngEncode.ts (filter + deflate, resampling included, median of `runs`) and the
 * bytes sent, against libvips' encoder as used before (level 6, adaptive filtering).
 */
async function pngTable(runs: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'virgo-bench-png-'));
  try {
    const sources: Array<[string, string]> = [];
    for (const [w, h] of SIZES) {
      const file = join(dir, `${w}x${h}.png`);
      await makeSource(w, h, file);
      sources.push([`${w}×${h} benchmark`, file]);
    }
    const shot = join(dir, 'screenshot.png');
    await makeScreenshot(shot);
    sources.push(['1920×1080 screenshot-like', shot]);
    console.log('| source | encoder | wall ms | CPU ms | bytes |\n| --- | --- | ---: | ---: | ---: |');
    for (const [label, file] of sources) {
      const d = await decode(readFileSync(file));
      const auto = deflateChoice((d.sent.width * 3 + 1) * d.sent.height);
      for (const [name, choice] of CHOICES) {
        let bytes = 0;
        const cpu: number[] = [];
        const wall = await time(async () => {
          const c = loaded(d);
          const c0 = process.cpuUsage();
          try {
            bytes = (await encodePng(c, choice)).length;
          } finally {
            c.release();
          }
          const used = process.cpuUsage(c0);
          cpu.push((used.user + used.system) / 1000);
        }, runs);
        const chosen = choice.level === auto.level && choice.strategy === auto.strategy ? ' (chosen)' : '';
        console.log(`| ${label} | Paeth + ${name}${chosen} | ${wall.toFixed(0)} | ${cpu.sort((a, b) => a - b)[Math.floor(runs / 2)]!.toFixed(0)} | ${bytes.toLocaleString('en-US')} |`);
      }
      const c = loaded(d);
      const rgb = canvasRgb(c);
      c.release();
      const rawIn = { raw: { width: d.sent.width, height: d.sent.height, channels: 3 as const } };
      let bytes = 0;
      const wall = await time(async () => {
        bytes = (await sharp(rgb, rawIn).png({ compressionLevel: 6, adaptiveFiltering: true }).toBuffer()).length;
      }, runs);
      console.log(`| ${label} | libvips level 6, adaptive (before) | ${wall.toFixed(0)} | — | ${bytes.toLocaleString('en-US')} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A dark editor-like screenshot: flat panels and lines of monospace text (compresses like real ones). */
async function makeScreenshot(file: string): Promise<void> {
  const code = readFileSync(__filename, 'utf8').split('\n').slice(0, 40).join('\n').replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const text = await sharp({ text: { text: `<span foreground="#d4d4d4">${code}</span>`, font: 'monospace 11', dpi: 96, rgba: true, width: 1600 } }).png().toBuffer();
  const panel = (width: number, height: number, background: string) => ({ input: { create: { width, height, channels: 3 as const, background } } });
  await sharp({ create: { width: 1920, height: 1080, channels: 3, background: '#1e1e1e' } })
    .composite([{ ...panel(200, 1080, '#252526'), left: 0, top: 0 }, { input: text, left: 220, top: 40 }, { ...panel(1920, 22, '#007acc'), left: 0, top: 1058 }])
    .png()
    .toFile(file);
}

async function main(argv: string[]): Promise<void> {
  const num = (name: string, dflt: number): number => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  if (argv[0] === '--one') return measureOne(argv[1], num('--runs', 5));
  if (argv.includes('--png-table')) return pngTable(num('--runs', 5));
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
