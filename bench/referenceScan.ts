// Finding image references in a large document: `npm run bench:refs`.
// A generated 5,000-line Markdown file with 300 images (plus code fences, HTML images, comments),
// measured three ways: a full scan (what opening the document costs), a one-line edit through the
// incremental index (what each keystroke costs), and, over stdio against the built server, the
// time from a didChange to the code lenses of all 300 references (what the editor waits for).
//
//   node out/bench/referenceScan.js [--json] [--runs N]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  CodeLensRequest, createProtocolConnection, DidChangeTextDocumentNotification, DidOpenTextDocumentNotification,
  InitializeRequest, InitializedNotification, StreamMessageReader, StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import { DocumentReferences } from '../server/inlineQa/referenceIndex';

const LINES = 5000;
const IMAGES = 300;

export function largeMarkdown(): string {
  const every = Math.floor(LINES / IMAGES);
  const out = Array.from({ length: LINES }, (_, n) =>
    `Line ${n}: prose about the figures, with \`inline code\`, *emphasis* and a [link](https://example.com/${n}).`);
  const isImageLine = (n: number) => n % every === 0 && n / every < IMAGES;
  for (let n = 1; n + 2 < LINES; n += 97) {
    if ([n, n + 1, n + 2].some(isImageLine)) continue;
    out.splice(n, 3, '```python', 'x = 1  # ![not an image](no.png)', '```');
  }
  for (let n = 7; n < LINES; n += 53) if (!isImageLine(n) && !out[n].startsWith('```') && !out[n].startsWith('x = 1')) out[n] = `<!-- a comment with ![an image](commented${n}.png) -->`;
  for (let k = 0; k < IMAGES; k++) {
    out[k * every] = k % 5 === 0 ? `<img src="figs/fig${k}.png" alt="Figure ${k}" width="400">` : `![Figure ${k}: a diagram](figs/fig${k}.png "Figure ${k}")`;
  }
  return out.join('\n');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

async function lspRoundTrip(text: string, runs: number): Promise<{ openToLensesMs: number; editToLensesMs: number }> {
  const ws = mkdtempSync(join(tmpdir(), 'virgo-bench-refs-'));
  mkdirSync(join(ws, 'figs'));
  // Half the images exist, so resolution sees both outcomes.
  for (let k = 0; k < IMAGES; k += 2) writeFileSync(join(ws, 'figs', `fig${k}.png`), Buffer.from('89504e470d0a1a0a', 'hex'));
  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'dist', 'server.js'), '--stdio'], {
    stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, VIRGO_ANSWERS_DIR: join(ws, '.answers') },
  });
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  conn.listen();
  try {
    await conn.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: pathToFileURL(ws).toString(), capabilities: {} });
    await conn.sendNotification(InitializedNotification.type, {});
    const uri = pathToFileURL(join(ws, 'big.md')).toString();
    let t0 = process.hrtime.bigint();
    await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'markdown', version: 1, text } });
    const lenses = (await conn.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) ?? [];
    const openToLensesMs = ms(t0);
    if (lenses.length !== IMAGES / 2) throw new Error(`expected ${IMAGES / 2} lenses, got ${lenses.length}`);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      t0 = process.hrtime.bigint();
      await conn.sendNotification(DidChangeTextDocumentNotification.type, {
        textDocument: { uri, version: i + 2 },
        contentChanges: [{ range: { start: { line: 2500, character: 0 }, end: { line: 2500, character: 0 } }, text: 'x' }],
      });
      await conn.sendRequest(CodeLensRequest.type, { textDocument: { uri } });
      times.push(ms(t0));
    }
    return { openToLensesMs, editToLensesMs: median(times) };
  } finally {
    conn.dispose();
    child.kill();
    rmSync(ws, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const runsArg = process.argv.indexOf('--runs');
  const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 50;
  const text = largeMarkdown();
  const uri = 'file:///bench/big.md';

  const full: number[] = [];
  let refs = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const index = new DocumentReferences('markdown', TextDocument.create(uri, 'markdown', 1, text));
    refs = index.references().length;
    full.push(ms(t0));
  }

  const index = new DocumentReferences('markdown', TextDocument.create(uri, 'markdown', 1, text));
  index.references();
  const edit: number[] = [];
  const rescans: number[] = [];
  for (let i = 0; i < runs * 4; i++) {
    const line = 100 + ((i * 37) % 4800);
    const t0 = process.hrtime.bigint();
    index.update([{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: i % 2 ? 'x' : '' }], i + 2);
    index.references();
    edit.push(ms(t0));
    rescans.push(index.lastRescanned);
  }

  const lsp = await lspRoundTrip(text, Math.max(10, Math.floor(runs / 2)));
  const result = {
    lines: LINES, images: IMAGES, found: refs, runs,
    fullScanMs: +median(full).toFixed(2),
    oneLineEditMs: +median(edit).toFixed(3),
    linesRescannedMedian: median(rescans),
    linesRescannedMax: Math.max(...rescans),
    lspOpenToLensesMs: +lsp.openToLensesMs.toFixed(1),
    lspEditToLensesMs: +lsp.editToLensesMs.toFixed(1),
  };
  if (json) { console.log(JSON.stringify(result)); return; }
  console.log(`${LINES}-line Markdown, ${IMAGES} images (${refs} found; fences, comments and code skipped), median of ${runs}:`);
  console.log(`  full scan (document opened):         ${result.fullScanMs} ms`);
  console.log(`  one-line edit, incremental:           ${result.oneLineEditMs} ms (applying the edit included; ${result.linesRescannedMedian} line rescanned,`);
  console.log(`                                        up to ${result.linesRescannedMax} when the edit turns a fence line into text)`);
  console.log(`  over stdio: didOpen → code lenses      ${result.lspOpenToLensesMs} ms (first time; resolves every path)`);
  console.log(`  over stdio: didChange → code lenses    ${result.lspEditToLensesMs} ms`);
}

if (require.main === module) void main();
