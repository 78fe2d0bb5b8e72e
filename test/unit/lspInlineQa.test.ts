// Inline diagram QA over the wire, as any LSP editor uses it: `node dist/server.js --stdio` in a
// child process and a real LSP client connection (vscode-languageserver-protocol). Documents of
// each kind, code lenses, hovers, code actions, inlay hints, the ask command against the fake
// vLLM, the answer coming back after a restart, and staleness when the image changes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import {
  CancellationTokenSource, CodeActionRequest, CodeLensRequest, createProtocolConnection, DidOpenTextDocumentNotification,
  ExecuteCommandRequest, ExitNotification, HoverRequest, InitializeRequest, InitializedNotification, InlayHintRequest,
  ShutdownRequest, StreamMessageReader, StreamMessageWriter,
  type CodeAction, type CodeLens, type Hover, type InlayHint, type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import type { AskReferenceArgs, AskReferenceResult, StoredThought } from '../../protocol/inlineQa';
import * as lsp from '../../protocol/lsp';
import { startFakeBackend, type FakeBackend } from '../fakeBackend/fakeServer';

const root = join(__dirname, '..', '..', '..');
const serverJs = join(root, 'dist', 'server.js');
const transcript = readFileSync(join(root, 'test', 'fixtures', 'transcripts', 'triangle.txt'), 'utf8');

interface StartOptions { storagePath?: string; trusted?: boolean; env?: Record<string, string>; settings?: Record<string, unknown> | null }

/** A minimal LSP editor: answers what the server asks (configuration, refresh, progress, showDocument) and records it. */
class Editor {
  readonly refreshes: string[] = [];
  readonly progress: unknown[] = [];
  readonly shownDocuments: string[] = [];
  readonly messages: string[] = [];
  private constructor(readonly conn: ProtocolConnection, readonly child: ChildProcess) {}

  static async start(o: StartOptions): Promise<Editor> {
    const child = spawn(process.execPath, [serverJs, '--stdio'], {
      env: { ...process.env, VIRGO_BACKEND_URL: '', VIRGO_API_KEY: '', VIRGO_ANSWERS_DIR: '', ...o.env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const conn = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const e = new Editor(conn, child);
    conn.onRequest('workspace/configuration', () => [o.settings ?? null]);
    conn.onRequest('workspace/codeLens/refresh', () => { e.refreshes.push('codeLens'); return null; });
    conn.onRequest('workspace/inlayHint/refresh', () => { e.refreshes.push('inlayHint'); return null; });
    conn.onRequest('window/workDoneProgress/create', () => null);
    conn.onRequest('client/registerCapability', () => null);
    conn.onRequest('window/showDocument', (p: { uri: string }) => { e.shownDocuments.push(p.uri); return { success: true }; });
    conn.onNotification('$/progress', (p: unknown) => { e.progress.push(p); });
    conn.onNotification('window/showMessage', (p: { message: string }) => { e.messages.push(p.message); });
    conn.onNotification('window/logMessage', () => {});
    conn.listen();
    const configuration = o.settings !== null;
    await conn.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: pathToFileURL(ws).toString(),
      workspaceFolders: [{ uri: pathToFileURL(ws).toString(), name: 'ws' }],
      capabilities: {
        workspace: {
          configuration, codeLens: { refreshSupport: true }, inlayHint: { refreshSupport: true },
          didChangeWatchedFiles: { dynamicRegistration: true },
        },
        window: { workDoneProgress: true, showDocument: { support: true } },
      },
      initializationOptions: {
        ...(o.storagePath ? { storagePath: o.storagePath } : {}),
        ...(o.trusted === false ? { workspaceTrusted: false } : {}),
      },
    });
    await conn.sendNotification(InitializedNotification.type, {});
    return e;
  }

  async open(file: string, languageId: string): Promise<string> {
    const uri = pathToFileURL(join(ws, file)).toString();
    await this.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version: 1, text: readFileSync(join(ws, file), 'utf8') } });
    return uri;
  }

  lenses(uri: string): Promise<CodeLens[]> {
    return this.conn.sendRequest(CodeLensRequest.type, { textDocument: { uri } }) as Promise<CodeLens[]>;
  }

  titles(uri: string): Promise<string[]> {
    return this.lenses(uri).then((ls) => ls.map((l) => l.command!.title));
  }

  async ask(uri: string, question: string, extra: Partial<AskReferenceArgs> = {}, token?: CancellationTokenSource): Promise<AskReferenceResult> {
    // `position` picks the lens by line; the arguments are the lens's own, as an editor sends them.
    const { position, ...rest } = extra;
    const lens = (await this.lenses(uri)).find((l) => l.command?.title === 'Ask Virgo…' && (!position || l.range.start.line === position.line));
    assert.ok(lens, 'an "Ask Virgo…" lens');
    const args = { ...(lens.command!.arguments![0] as AskReferenceArgs), question, ...rest };
    return this.conn.sendRequest(ExecuteCommandRequest.type, { command: 'virgo.askAboutReference', arguments: [args] }, token?.token) as Promise<AskReferenceResult>;
  }

  hover(uri: string, line: number, character: number): Promise<Hover | null> {
    return this.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line, character } });
  }

  hints(uri: string): Promise<InlayHint[]> {
    return this.conn.sendRequest(InlayHintRequest.type, { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 1000, character: 0 } } }) as Promise<InlayHint[]>;
  }

  actions(uri: string, line: number): Promise<CodeAction[]> {
    return this.conn.sendRequest(CodeActionRequest.type, {
      textDocument: { uri }, range: { start: { line, character: 0 }, end: { line, character: 0 } }, context: { diagnostics: [] },
    }) as Promise<CodeAction[]>;
  }

  async stop(): Promise<void> {
    await this.conn.sendRequest(ShutdownRequest.type);
    await this.conn.sendNotification(ExitNotification.type);
    await new Promise((r) => (this.child.exitCode !== null ? r(null) : this.child.once('exit', r)));
    this.conn.dispose();
  }

  kill(): Promise<void> {
    this.conn.dispose();
    this.child.kill('SIGKILL');
    return new Promise((r) => this.child.once('exit', r));
  }
}

let ws: string;
let backend: FakeBackend;
let storage: string;
let editor: Editor;
const chats = () => backend.requests.filter((r) => r.path.endsWith('/chat/completions'));
const waitFor = async <T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> => {
  for (let i = 0; i < 100; i++) { const v = await probe(); if (v) return v; await new Promise((r) => setTimeout(r, 50)); }
  throw new Error(`timed out waiting for ${what}`);
};

before(async () => {
  ws = mkdtempSync(join(tmpdir(), 'virgo-lsp-ws-'));
  storage = join(ws, '.answers');
  mkdirSync(join(ws, 'figs'));
  copyFileSync(join(root, 'media', 'samples', 'right-triangle.png'), join(ws, 'figure.png'));
  await sharp({ create: { width: 300, height: 200, channels: 3, background: '#3366cc' } }).png().toFile(join(ws, 'figs', 'circuit.png'));
  const attachment = (await sharp({ create: { width: 120, height: 90, channels: 3, background: '#cc6633' } }).png().toBuffer()).toString('base64');
  writeFileSync(join(ws, 'notes.md'), '# Notes\n\nThe triangle:\n\n![What is AB?](figure.png)\n\n![badge](https://img.shields.io/badge/a-b-green.png)\n');
  writeFileSync(join(ws, 'paper.tex'), '\\graphicspath{{figs/}}\n\\begin{figure}\n  \\includegraphics[width=5cm]{circuit}\n\\end{figure}\n');
  writeFileSync(join(ws, 'page.html'), '<p>\n<img alt="circuit" src="figs/circuit.png">\n</p>\n');
  writeFileSync(join(ws, 'doc.rst'), 'Doc\n===\n\n.. figure:: figure.png\n   :alt: triangle\n\n   The caption.\n');
  writeFileSync(join(ws, 'doc.adoc'), '= Doc\n:imagesdir: figs\n\nimage::circuit.png[A circuit]\n');
  writeFileSync(join(ws, 'nb.ipynb'), JSON.stringify({
    cells: [{ cell_type: 'markdown', metadata: {}, source: ['![sketch](attachment:sketch.png)\n', '![](figure.png)'], attachments: { 'sketch.png': { 'image/png': attachment } } }],
    metadata: {}, nbformat: 4, nbformat_minor: 5,
  }, null, 1));
  backend = await startFakeBackend({ kind: 'stream', content: transcript, chunkChars: 40 });
  editor = await Editor.start({ storagePath: storage, settings: { backendUrl: backend.url } });
});

after(async () => {
  await editor?.kill();
  await backend?.close();
});

test('every document kind gets "Ask Virgo…" lenses on its local images, and opening sends nothing', async () => {
  const kinds: Array<[string, string, number]> = [
    ['notes.md', 'markdown', 1], ['paper.tex', 'latex', 1], ['page.html', 'html', 1],
    ['doc.rst', 'plaintext', 1], ['doc.adoc', 'asciidoc', 1], ['nb.ipynb', 'json', 2],
  ];
  for (const [file, languageId, count] of kinds) {
    const uri = await editor.open(file, languageId);
    const lenses = await editor.lenses(uri);
    assert.equal(lenses.filter((l) => l.command?.title === 'Ask Virgo…').length, count, `${file}: ${JSON.stringify(lenses)}`);
    assert.equal(lenses.length, count, `${file}: no lens on remote images or anything else`);
    assert.deepEqual(await editor.hints(uri), []);
  }
  const md = pathToFileURL(join(ws, 'notes.md')).toString();
  const [lens] = await editor.lenses(md);
  assert.deepEqual(lens.range.start, { line: 4, character: 0 });
  assert.deepEqual(lens.command!.arguments![0], { uri: md, position: { line: 4, character: 0 }, suggestion: 'What is AB?' });
  const hover = await editor.hover(md, 4, 20);
  const text = (hover!.contents as { value: string }).value;
  assert.match(text, /640×480 px, sent as 644×476 · 391 visual tokens/);
  assert.match(text, /\[Ask Virgo…\]\(command:virgo\.askAboutReference\?/);
  const remote = (await editor.hover(md, 6, 5))!.contents as { value: string };
  assert.match(remote.value, /Remote images are not downloaded.*allowRemoteImages/);
  const actions = await editor.actions(md, 4);
  assert.deepEqual(actions.map((a) => a.title), ['Ask Virgo about figure.png…']);
  assert.equal(backend.requests.length, 0, 'no request of any kind reached the backend');
});

test('the ask command sends the image and question, reports progress, stores the answer and shows it everywhere', async () => {
  const md = pathToFileURL(join(ws, 'notes.md')).toString();
  editor.refreshes.length = 0;
  const result = await editor.ask(md, 'What is the length of AB?');
  assert.equal(result.reason, 'stop', JSON.stringify(result));
  assert.equal(result.boxed, '\\sqrt{5}');
  assert.equal(result.cached, false);
  assert.equal(chats().length, 1);
  const body = chats()[0].body as { messages: Array<{ content: Array<{ type: string; text?: string }> }> };
  assert.deepEqual(body.messages[1].content.map((c) => c.type), ['image_url', 'text']);
  assert.match(body.messages[1].content[1].text!, /What is the length of AB\?$/);
  const kinds = editor.progress.map((p) => (p as { value: { kind: string } }).value.kind);
  assert.equal(kinds[0], 'begin');
  assert.equal(kinds.at(-1), 'end');
  assert.ok(editor.refreshes.includes('codeLens') && editor.refreshes.includes('inlayHint'));

  const titles = await editor.titles(md);
  assert.equal(titles.length, 2);
  assert.equal(titles[0], 'Ask Virgo…');
  assert.match(titles[1], /^Virgo: √5 · \d+ tokens · \d+\.\d s$/);
  const [hint] = await editor.hints(md);
  assert.equal(hint.label, 'Virgo: √5');
  assert.deepEqual(hint.position, { line: 4, character: 26 });
  const hover = ((await editor.hover(md, 4, 3))!.contents as { value: string }).value;
  assert.match(hover, /\*\*Last question:\*\* What is the length of AB\?/);
  assert.match(hover, /\*\*Answer:\*\* √5 \(`\\sqrt\{5\}`\)/);
  assert.match(hover, /\[Open the reasoning\]\(command:virgo\.openThought\?/);
  const actions = await editor.actions(md, 4);
  const alt = actions.find((a) => a.title === "Insert Virgo's answer as alt text")!;
  assert.deepEqual(alt.edit!.changes![md], [{ range: { start: { line: 4, character: 2 }, end: { line: 4, character: 13 } }, newText: '√5' }]);
  assert.ok(actions.some((a) => a.title === "Insert Virgo's answer as a comment"));

  const again = await editor.ask(md, 'What is the length of AB?');
  assert.equal(again.cached, true, 'the same image, question, model and parameters come from the store');
  assert.equal(chats().length, 1);
  const forced = await editor.ask(md, 'What is the length of AB?', { force: true });
  assert.equal(forced.cached, false);
  assert.equal(chats().length, 2);
});

test('answers in LaTeX, rST, AsciiDoc, HTML and a notebook attachment; code actions per language', async () => {
  const cases: Array<[string, number, string[]]> = [
    ['paper.tex', 2, ["Insert Virgo's answer as a caption", "Insert Virgo's answer as a comment"]],
    ['doc.rst', 3, ["Replace the :alt: text with Virgo's answer", "Insert Virgo's answer as a comment"]],
    ['doc.adoc', 3, ["Insert Virgo's answer as alt text", "Insert Virgo's answer as a comment"]],
    ['page.html', 1, ["Insert Virgo's answer as alt text", "Insert Virgo's answer as a comment"]],
    ['nb.ipynb', 6, ["Insert Virgo's answer as alt text"]],
  ];
  for (const [file, line, titles] of cases) {
    const uri = pathToFileURL(join(ws, file)).toString();
    const r = await editor.ask(uri, 'What is shown?', { position: { line, character: 0 } }).catch((e: Error) => ({ reason: e.message }));
    assert.equal(r.reason, 'stop', `${file}: ${JSON.stringify(r)}`);
    assert.ok((await editor.titles(uri)).some((t) => t.startsWith('Virgo: √5')), file);
    const actions = (await editor.actions(uri, line)).map((a) => a.title).filter((t) => !t.startsWith('Ask'));
    assert.deepEqual(actions, titles, file);
  }
  const tex = pathToFileURL(join(ws, 'paper.tex')).toString();
  const caption = (await editor.actions(tex, 2)).find((a) => a.title.includes('caption'))!;
  assert.equal(caption.edit!.changes![tex][0].newText, '\n  \\caption{$\\sqrt{5}$}');
  // The notebook's attachment went out as the attachment's own bytes (a 120×90 PNG → 112×84 sent).
  const last = chats().at(-1)!.body as { messages: Array<{ content: Array<{ image_url?: { url: string } }> }> };
  const sent = await sharp(Buffer.from(last.messages[1].content[0].image_url!.url.split(',')[1], 'base64')).metadata();
  assert.deepEqual([sent.width, sent.height], [112, 84]);
});

test('open the reasoning: the stored thought in full, and a Markdown file for editors without the panel', async () => {
  const md = pathToFileURL(join(ws, 'notes.md')).toString();
  const lens = (await editor.lenses(md)).find((l) => l.command!.title.startsWith('Virgo:'))!;
  assert.equal(lens.command!.command, 'virgo.openThought');
  const thought = (await editor.conn.sendRequest(lsp.storedThought, lens.command!.arguments![0])) as StoredThought;
  assert.equal(thought.imagePath, join(ws, 'figure.png'), 'the image is unchanged: the panel can ask it again');
  const stored = thought.answer;
  assert.equal(stored.question, 'What is the length of AB?');
  assert.equal(stored.segments.length, 11);
  assert.deepEqual(stored.answer.boxed, ['\\sqrt{5}']);
  assert.equal(stored.image.info.imageTokens, 391);
  const r = (await editor.conn.sendRequest(ExecuteCommandRequest.type, { command: 'virgo.openThought', arguments: lens.command!.arguments })) as { uri: string };
  assert.deepEqual(editor.shownDocuments, [r.uri]);
  const markdown = readFileSync(fileURLToPath(r.uri), 'utf8');
  assert.match(markdown, /^# Virgo: What is the length of AB\?/);
  assert.match(markdown, /\*\*Reflection \d+ \(backtrack\)\*\*/);
});

test('answers survive a restart; an image that changes makes its answer stale', async () => {
  await editor.kill();
  editor = await Editor.start({ storagePath: storage, settings: { backendUrl: backend.url } });
  const md = await editor.open('notes.md', 'markdown');
  assert.match((await editor.titles(md))[1], /^Virgo: √5 · /);
  assert.equal((await editor.hints(md))[0].label, 'Virgo: √5');
  // Same bytes, new mtime (a checkout, a touch): still fresh.
  writeFileSync(join(ws, 'figure.png'), readFileSync(join(ws, 'figure.png')));
  assert.match((await editor.titles(md))[1], /^Virgo: √5/);
  await sharp(join(root, 'media', 'samples', 'right-triangle.png')).negate().png().toFile(join(ws, 'figure.tmp.png'));
  copyFileSync(join(ws, 'figure.tmp.png'), join(ws, 'figure.png'));
  assert.match((await editor.titles(md))[1], /^Virgo \(image changed\): √5 · /);
  assert.equal((await editor.hints(md))[0].label, 'Virgo (stale): √5');
  assert.match(((await editor.hover(md, 4, 3))!.contents as { value: string }).value, /The image changed since this answer/);
  // Asking about the new image is a new answer (new bytes, new key), and it is fresh.
  const r = await editor.ask(md, 'What is the length of AB?');
  assert.equal(r.cached, false);
  assert.match((await editor.titles(md))[1], /^Virgo: √5/);
  await editor.stop();
  editor = await Editor.start({ storagePath: storage, settings: { backendUrl: backend.url } });
});

test('cancelling the ask closes the backend request and stores nothing', async () => {
  backend.setScenario({ kind: 'stream', content: transcript, chunkChars: 4, delayMs: 30 });
  try {
    const uri = await editor.open('page.html', 'html');
    const closed = backend.closedConnections;
    const source = new CancellationTokenSource();
    const pending = editor.ask(uri, 'A question to cancel?', { position: { line: 1, character: 0 } }, source);
    await waitFor('the lens to say Virgo is thinking', async () => (await editor.titles(uri)).includes('Virgo is thinking…'));
    await waitFor('the stream to start', async () => chats().length > 0 && backend.requests.at(-1)!.path.endsWith('/chat/completions'));
    source.cancel();
    const r = await pending.catch((e: { code?: number }) => ({ reason: e.code === -32800 ? 'cancelled' : String(e) }));
    assert.equal(r.reason, 'cancelled');
    await waitFor('the backend to see the connection close', async () => backend.closedConnections > closed);
    const titles = await editor.titles(uri);
    assert.ok(!titles.includes('Virgo is thinking…'));
  } finally {
    backend.setScenario({ kind: 'stream', content: transcript, chunkChars: 40 });
  }
});

test('an untrusted workspace is read-only until trusted; a bare --stdio editor uses $VIRGO_BACKEND_URL and the XDG state dir', async () => {
  const state = join(ws, '.state');
  const bare = await Editor.start({ trusted: false, settings: null, env: { XDG_STATE_HOME: state, VIRGO_BACKEND_URL: backend.url } });
  try {
    const md = await bare.open('notes.md', 'markdown');
    assert.deepEqual(await bare.titles(md), [], 'no Ask lens while untrusted');
    assert.doesNotMatch(((await bare.hover(md, 4, 3))!.contents as { value: string }).value, /Ask Virgo/);
    const before = chats().length;
    const refused = (await bare.conn.sendRequest(ExecuteCommandRequest.type, {
      command: 'virgo.askAboutReference', arguments: [{ uri: md, position: { line: 4, character: 0 }, question: 'x?' }],
    })) as AskReferenceResult;
    assert.equal(refused.errorKind, 'refused');
    assert.match(refused.error!, /not trusted/);
    assert.match(bare.messages.at(-1)!, /not trusted/, 'a bare editor is told why');
    assert.equal(chats().length, before);
    await bare.conn.sendNotification(lsp.workspaceTrust, { trusted: true });
    await waitFor('a lens refresh', async () => bare.refreshes.includes('codeLens'));
    const r = await bare.ask(md, '');
    assert.equal(r.reason, 'stop');
    const body = chats().at(-1)!.body as { messages: Array<{ content: Array<{ text?: string }> }> };
    assert.match(body.messages[1].content[1].text!, /What is AB\?$/, 'no question given: the alt text that asks one');
    assert.ok(existsSync(join(state, 'virgo-vscode', 'answers', 'index.json')));
  } finally {
    await bare.kill();
  }
});

test('a named backend whose first replica is down: the model is read from the live one and the answer comes from it', async () => {
  const dead = await startFakeBackend({ kind: 'stream', content: transcript, chunkChars: 40 });
  const deadUrl = dead.url;
  await dead.close(); // nothing listens there now: connection refused
  const lab = await Editor.start({
    storagePath: join(ws, '.answers-lab'),
    settings: { backendUrl: 'http://127.0.0.1:9/v1', backends: [{ name: 'lab', urls: [deadUrl, backend.url] }], activeBackend: 'lab' },
  });
  try {
    const md = await lab.open('notes.md', 'markdown');
    const before = chats().length;
    const r = await lab.ask(md, 'Which replica answers?');
    assert.equal(r.reason, 'stop', JSON.stringify(r));
    assert.equal(r.boxed, '\\sqrt{5}');
    assert.equal(chats().length, before + 1);
  } finally {
    await lab.kill();
  }
});
