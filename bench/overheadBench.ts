// What the reasoning core adds between the backend and the consumer, against a bare HTTP client
// reading the same fake vLLM stream in the same run; and parser + segmenter throughput.
//
//   node out/bench/overheadBench.js [--json] [--tokens N] [--ttft-reps N] [--stream-reps N]   (after tsc)
//
// The scripted backend (server/replay/scriptedBackend.ts) runs in a child process, so its own
// JSON encoding does not share an event loop with the client being measured (2 cores: one each):
// a 64-token answer for time to first token (a 32k-token scenario spends ~20 ms planning its
// chunks before the first byte, which would drown what we measure), and the 32k-token synthetic
// thought in delta.content, one token a chunk, both as the scripted backend streams it and as a
// "firehose" (its captured bytes written at once: the client alone sets the pace).
// Times are from the moment the request is started (for the core: runReasoning called with an
// already-prepared image, so building the body with the image's data URL counts) to
//   first token: bare, the first SSE event with content parsed; core, the first onProgress call
//                (the parser has taken the chunk: what the UI gets);
//   last token:  the same for the last content chunk.
// Pairs alternate (bare then core, core then bare); overheads are medians of the pairs'
// differences; the very first pair (cold: nothing JIT-compiled yet) is reported apart.
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildChatRequest } from '../server/backend/requestBuilder';
import { prepareImage, type PreparedImage } from '../server/image/imagePrep';
import { runReasoning } from '../server/reasoning/reasonSession';
import { startScriptedBackend } from '../server/replay/scriptedBackend';
import { ThoughtParser } from '../server/thought/thoughtParser';
import { syntheticThought } from './syntheticThought';

const root = join(__dirname, '..', '..');
const MODEL = 'virgo-72b';
const QUESTION = 'What is the length of AB?';
const SAMPLE = join(root, 'media', 'samples', 'right-triangle.png');
/** The short answer for time to first token (the solution alone is longer: that many, then). */
const SHORT = 64;

interface Timing { ttft: number; last: number; end: number; tokens: number }

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Backends {
  /** The scripted backend streaming the whole thought, one token a chunk, as fast as it writes. */
  url: string;
  /** The same, for a short answer: time to first token without 32k chunks planned first. */
  shortUrl: string;
  /**
   * The whole thought's response as the scripted backend sent it, captured once and then written
   * in one go: a backend that is never the bottleneck, so time to the last token measures the client.
   */
  firehoseUrl: string;
}

/** The child: serve the backends on free ports, report their URLs over IPC, run until killed. */
async function serve(tokens: number): Promise<void> {
  const backend = await startScriptedBackend({ kind: 'stream', content: syntheticThought(tokens, root, { vary: true }), delayMs: 0 });
  const short = await startScriptedBackend({ kind: 'stream', content: syntheticThought(SHORT, root), delayMs: 0 });
  const captured = await new Promise<Buffer>((resolve, reject) => {
    const req = http.request(`${backend.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => resolve(Buffer.concat(parts)));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ model: MODEL, stream: true, stream_options: { include_usage: true }, messages: [] }));
  });
  const firehose = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache' });
      res.end(captured);
    });
  });
  await new Promise<void>((resolve) => firehose.listen(0, '127.0.0.1', resolve));
  const { port } = firehose.address() as { port: number };
  process.send?.({ url: backend.url, shortUrl: short.url, firehoseUrl: `http://127.0.0.1:${port}/v1` } satisfies Backends);
}

function startBackendChild(tokens: number): Promise<Backends & { stop(): void }> {
  const child = fork(__filename, ['--serve', '--tokens', String(tokens)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`backend child exited (${code})`)));
    child.once('message', (m: Backends) => resolve({ ...m, stop: () => child.kill() }));
  });
}

/** A minimal streaming client: node:http, split events on blank lines, JSON.parse each. */
function bareClient(url: string, body: string): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let ttft = -1;
    let last = -1;
    let tokens = 0;
    let buf = '';
    const req = http.request(`${url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), accept: 'text/event-stream' },
    }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let cut: number;
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const event = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          if (!event.startsWith('data: ') || event === 'data: [DONE]') continue;
          const content = (JSON.parse(event.slice(6)) as { choices?: Array<{ delta?: { content?: string } }> }).choices?.[0]?.delta?.content;
          if (!content) continue;
          const t = performance.now() - t0;
          if (ttft < 0) ttft = t;
          last = t;
          tokens++;
        }
      });
      res.on('end', () => resolve({ ttft, last, end: performance.now() - t0, tokens }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function coreClient(url: string, image: PreparedImage): Promise<Timing> {
  const t0 = performance.now();
  let ttft = -1;
  let last = -1;
  let tokens = 0;
  const outcome = await runReasoning({ image, question: QUESTION, model: MODEL }, { baseUrl: url, maxRetries: 0 }, {
    onEvent: () => {},
    onProgress: (_open, chunks) => {
      const t = performance.now() - t0;
      if (ttft < 0) ttft = t;
      last = t;
      tokens = chunks;
    },
  });
  if (outcome.reason !== 'stop') throw new Error(`core run ended with ${outcome.reason}: ${outcome.error?.message}`);
  return { ttft, last, end: performance.now() - t0, tokens };
}

/**
 * Parser + segmenter throughput in MB/s, feeding `pieces` as ThoughtParser.push calls: the best
 * run (a CPU-bound loop: the fastest run is the one other processes disturbed least) of at least
 * `runs`, and of as many more as fit in `minMs` of timing, so that a slow phase of this shared
 * 2-core machine (seconds long) cannot hold every run; after as many untimed ones, since the
 * language server parses warm and a fresh process's first passes measure the JIT.
 */
function parserThroughput(pieces: string[], withOpenSegment: boolean, runs = 11, minMs = 1500): number {
  const bytes = Buffer.byteLength(pieces.join(''));
  const once = (): number => {
    const t0 = performance.now();
    const p = new ThoughtParser();
    for (let i = 0; i < pieces.length; i++) {
      p.push({ content: pieces[i] }, i);
      // runReasoning hands its progress listener openSegment, called at most once per 32 ms
      // progress message; after every token is the worst case.
      if (withOpenSegment) p.openSegment();
    }
    p.finish(pieces.length);
    return performance.now() - t0;
  };
  for (let r = 0; r < runs; r++) once();
  let best = Infinity;
  let spent = 0;
  for (let r = 0; r < runs || (spent < minMs && r < 1000); r++) {
    const ms = once();
    best = Math.min(best, ms);
    spent += ms;
  }
  return bytes / 1e6 / (best / 1000);
}

/** The CLI as a user runs it: spawn → first line ('start'), first segment line, exit. */
function cliRun(url: string): Promise<{ start: number; firstSegment: number; exit: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [join(root, 'dist', 'virgo.js'), 'reason', SAMPLE, '--backend', url, '--model', MODEL, '--json', '-q', QUESTION],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let start = -1;
    let firstSegment = -1;
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const t = performance.now() - t0;
        if (start < 0 && line.includes('"type":"start"')) start = t;
        if (firstSegment < 0 && line.includes('"type":"segment"')) firstSegment = t;
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve({ start, firstSegment, exit: performance.now() - t0 }) : reject(new Error(`virgo reason exited with ${code}`))));
  });
}

/** A bare Node child doing the same request: what any CLI pays just to start Node and fetch. */
function bareChildRun(url: string, body: string): Promise<{ ttft: number; exit: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [join(root, 'bench', 'bareClientChild.mjs'), url], { stdio: ['pipe', 'pipe', 'inherit'] });
    let ttft = -1;
    child.stdout.on('data', () => { if (ttft < 0) ttft = performance.now() - t0; });
    child.stdin.end(body);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve({ ttft, exit: performance.now() - t0 }) : reject(new Error(`bare child exited with ${code}`))));
  });
}

/** A CPU profile of the parser fed token by token (with openSegment() after each, as runReasoning does, or not), to a file. */
async function profileParser(pieces: string[], withOpenSegment: boolean): Promise<string> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) => new Promise<unknown>((resolve, reject) =>
    session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  parserThroughput(pieces, withOpenSegment, withOpenSegment ? 3 : 21, 0);
  const { profile } = await post('Profiler.stop') as { profile: unknown };
  session.disconnect();
  const file = join(mkdtempSync(join(tmpdir(), 'virgo-bench-parser-')), 'parser.cpuprofile');
  writeFileSync(file, JSON.stringify(profile));
  return file;
}

export async function runOverheadBench(tokens = 32_000, ttftReps = 51, streamReps = 5, log: (s: string) => void = console.error): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { overheadTokens: tokens };
  const pieces = syntheticThought(tokens, root, { vary: true });
  const text = pieces.join('');
  const kb: string[] = [];
  for (let i = 0; i < text.length; i += 1024) kb.push(text.slice(i, i + 1024));
  log('overhead: parser throughput…');
  out.parserMBpsTokens = parserThroughput(pieces, false);
  out.parserMBps1k = parserThroughput(kb, false);
  out.parserMBpsTokensWithOpen = parserThroughput(pieces, true);
  out.parserBytes = Buffer.byteLength(text);
  out.parserProfile = await profileParser(pieces, true);
  out.parserPushProfile = await profileParser(pieces, false);

  const backend = await startBackendChild(tokens);
  try {
    const image = await prepareImage(SAMPLE);
    const body = JSON.stringify(buildChatRequest({ model: MODEL, imageDataUrl: image.dataUrl(), question: QUESTION }));
    const pairs = async (url: string, n: number, expect: number) => {
      const out: Array<{ bare: Timing; core: Timing }> = [];
      for (let i = 0; i < n; i++) {
        // Alternate who goes first, so a drift in the machine's load does not favour one side.
        if (i % 2 === 0) {
          const bare = await bareClient(url, body);
          out.push({ bare, core: await coreClient(url, image) });
        } else {
          const core = await coreClient(url, image);
          out.push({ bare: await bareClient(url, body), core });
        }
      }
      for (const p of out) {
        if (p.bare.tokens !== expect || p.core.tokens !== expect) throw new Error(`token count mismatch: bare ${p.bare.tokens}, core ${p.core.tokens}, sent ${expect}`);
      }
      return out;
    };
    type Pair = { bare: Timing; core: Timing };
    const med = (ps: Pair[], f: (p: Pair) => number) => median(ps.map(f));
    log(`overhead: time to first token, ${ttftReps} pairs of bare client / core (a short answer)…`);
    const [cold, ...ttft] = await pairs(backend.shortUrl, ttftReps + 1, syntheticThought(SHORT, root).length);
    Object.assign(out, {
      ttftReps, bareTtftMs: med(ttft, (p) => p.bare.ttft), coreTtftMs: med(ttft, (p) => p.core.ttft),
      ttftOverheadMs: med(ttft, (p) => p.core.ttft - p.bare.ttft), ttftOverheadColdMs: cold.core.ttft - cold.bare.ttft,
      requestBodyBytes: Buffer.byteLength(body),
    });
    log(`overhead: ${tokens} tokens from a backend that is never the bottleneck, ${streamReps} pairs…`);
    const fire = await pairs(backend.firehoseUrl, streamReps, tokens);
    Object.assign(out, {
      streamReps, bareLastTokenMs: med(fire, (p) => p.bare.last), coreLastTokenMs: med(fire, (p) => p.core.last),
      lastTokenOverheadMs: med(fire, (p) => p.core.last - p.bare.last),
      bareTokensPerSecond: tokens / (med(fire, (p) => p.bare.last) / 1000), coreTokensPerSecond: tokens / (med(fire, (p) => p.core.last) / 1000),
    });
    log(`overhead: ${tokens} tokens from the scripted backend itself, ${streamReps} pairs…`);
    const scripted = await pairs(backend.url, streamReps, tokens);
    Object.assign(out, {
      scriptedBareLastTokenMs: med(scripted, (p) => p.bare.last), scriptedCoreLastTokenMs: med(scripted, (p) => p.core.last),
      scriptedLastTokenOverheadMs: med(scripted, (p) => p.core.last - p.bare.last),
    });
    log('overhead: the CLI and a bare Node child, 3 runs each…');
    const cli = [];
    const bare = [];
    for (let i = 0; i < 3; i++) {
      cli.push(await cliRun(backend.url));
      bare.push(await bareChildRun(backend.url, body));
    }
    Object.assign(out, {
      cliStartEventMs: median(cli.map((c) => c.start)), cliFirstSegmentMs: median(cli.map((c) => c.firstSegment)),
      cliExitMs: median(cli.map((c) => c.exit)), bareChildTtftMs: median(bare.map((b) => b.ttft)), bareChildExitMs: median(bare.map((b) => b.exit)),
    });
  } finally {
    backend.stop();
  }
  return out;
}

async function main(argv: string[]): Promise<void> {
  const num = (name: string, dflt: number): number => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  if (argv[0] === '--serve') return serve(num('--tokens', 32_000));
  const result = await runOverheadBench(num('--tokens', 32_000), num('--ttft-reps', 51), num('--stream-reps', 5));
  process.stdout.write(argv.includes('--json') ? JSON.stringify(result) + '\n' : JSON.stringify(result, null, 1) + '\n');
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
