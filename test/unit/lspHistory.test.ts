// Session history over the wire: `node dist/server.js --stdio` with a real LSP client connection,
// sessions run against the scripted fake vLLM, then listHistory / getHistorySession /
// exportHistorySession / deleteHistorySession, Continue, the settings, and a restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  createProtocolConnection, ExitNotification, InitializeRequest, InitializedNotification, ShutdownRequest,
  StreamMessageReader, StreamMessageWriter, type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import type { HistoryChanged, HistoryInitOptions } from '../../protocol/history';
import * as lsp from '../../protocol/lsp';
import type { BackendSettings } from '../../protocol/settings';
import type { Answer, ReasonEvent, Segment } from '../../protocol/thought';
import { startFakeBackend, type FakeBackend } from '../fakeBackend/fakeServer';

const root = join(__dirname, '..', '..', '..');
const serverJs = join(root, 'dist', 'server.js');
const transcript = readFileSync(join(root, 'test', 'fixtures', 'transcripts', 'triangle.txt'), 'utf8');
const API_KEY = 'sk-history-must-never-be-stored';

/** A client as the extension is one: initialization options, reasoning requests, the history notifications. */
class Client {
  readonly changes: HistoryChanged[] = [];
  readonly updates: lsp.SessionUpdate[] = [];
  private constructor(readonly conn: ProtocolConnection, readonly child: ChildProcess) {}

  static async start(history: HistoryInitOptions): Promise<Client> {
    const child = spawn(process.execPath, [serverJs, '--stdio'], {
      env: { ...process.env, VIRGO_BACKEND_URL: '', VIRGO_API_KEY: '', VIRGO_HISTORY_DIR: '', VIRGO_ANSWERS_DIR: join(ws, '.answers'), XDG_STATE_HOME: join(ws, '.state') },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const conn = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const c = new Client(conn, child);
    conn.onNotification(lsp.historyChanged, (p) => { c.changes.push(p); });
    conn.onNotification(lsp.sessionUpdate, (u) => { c.updates.push(u); });
    conn.onNotification('window/logMessage', () => {});
    conn.onRequest('workspace/configuration', () => [null]);
    conn.onRequest('client/registerCapability', () => null);
    conn.listen();
    await conn.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: { history } });
    await conn.sendNotification(InitializedNotification.type, {});
    return c;
  }

  async ask(question: string, source: lsp.ImageSource = { path: join(ws, 'figure.png') }): Promise<{ sessionId: string; result: lsp.ReasonResult }> {
    const { imageId } = await this.conn.sendRequest(lsp.prepareImage, { source });
    const sessionId = `session-${++sessions}`;
    const result = await this.conn.sendRequest(lsp.reason, { sessionId, imageId, question, settings, apiKey: API_KEY });
    return { sessionId, result };
  }

  /** What the panel was sent: the closed segments and the answer. */
  live(sessionId: string): { segments: Segment[]; answer: Answer | undefined } {
    const events = this.updates.flatMap((u) => (u.sessionId === sessionId && u.kind === 'event' ? [u.event] : []));
    const segments = events.filter((e): e is Extract<ReasonEvent, { type: 'segment' }> => e.type === 'segment').map(({ type: _t, ...s }) => s);
    const answer = events.filter((e): e is Extract<ReasonEvent, { type: 'answer' }> => e.type === 'answer').map(({ type: _t, ...a }) => a).at(-1);
    return { segments, answer };
  }

  list(query?: string) {
    return this.conn.sendRequest(lsp.listHistory, query === undefined ? {} : { query });
  }

  async stop(): Promise<void> {
    await this.conn.sendRequest(ShutdownRequest.type);
    await this.conn.sendNotification(ExitNotification.type);
    await new Promise((r) => (this.child.exitCode !== null ? r(null) : this.child.once('exit', r)));
    this.conn.dispose();
  }
}

let ws: string;
let storage: string;
let backend: FakeBackend;
let client: Client;
let settings: BackendSettings;
let sessions = 0;
const withoutMs = (segs: Segment[]) => segs.map(({ ms: _ms, ...s }) => s);
const files = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: true })
  .filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));

before(async () => {
  ws = mkdtempSync(join(tmpdir(), 'virgo-lsp-history-'));
  storage = join(ws, 'globalStorage', 'history');
  copyFileSync(join(root, 'media', 'samples', 'right-triangle.png'), join(ws, 'figure.png'));
  mkdirSync(join(ws, 'exports'));
  backend = await startFakeBackend({ kind: 'stream', content: transcript, chunkChars: 23 });
  settings = {
    backendUrl: backend.url, model: '', maxTokens: 8192, temperature: 0, maxPixels: 12845056,
    promptPrefix: 'Please first think deeply about the question, and then put the final answer in \\boxed{}.\n', idleTimeoutMs: 10_000, caCertificatePath: '',
  };
  client = await Client.start({ storagePath: storage });
});

after(async () => {
  await client?.stop();
  await backend?.close();
  rmSync(ws, { recursive: true, force: true });
});

test('a finished session is kept: listed, searchable, and reopened exactly as the panel showed it', async () => {
  assert.deepEqual(await client.list(), []);
  const { sessionId, result } = await client.ask('What is the length of AB?');
  assert.equal(result.reason, 'stop');
  assert.deepEqual(client.changes, [{ kind: 'added', ids: [sessionId] }], 'told before the result came back');

  const [entry, ...rest] = await client.list();
  assert.deepEqual(rest, []);
  assert.equal(entry.id, sessionId);
  assert.equal(entry.question, 'What is the length of AB?');
  assert.deepEqual(entry.boxed, ['\\sqrt{5}']);
  assert.equal(entry.model, 'virgo-72b');
  assert.equal(entry.backend, backend.url);
  assert.equal(entry.endReason, 'stop');
  assert.deepEqual(entry.reflections, { verify: 1, backtrack: 2, alternative: 1 });
  assert.equal(entry.image.name, 'figure.png');
  assert.equal(entry.image.path, join(ws, 'figure.png'));
  assert.equal(entry.image.imageTokens, 391);
  assert.equal(entry.hasThumbnail, true);
  assert.deepEqual((await client.list('LENGTH of ab')).map((e) => e.id), [sessionId]);
  assert.deepEqual((await client.list('sqrt{5}')).map((e) => e.id), [sessionId]);
  assert.deepEqual(await client.list('pentagon'), []);

  const session = (await client.conn.sendRequest(lsp.getHistorySession, { id: sessionId }))!;
  const live = client.live(sessionId);
  assert.ok(live.segments.length > 5);
  assert.deepEqual(withoutMs(session.segments), withoutMs(live.segments), 'the same segments, chunk counts included');
  assert.deepEqual(session.answer, live.answer);
  assert.equal(session.summary.segments, live.segments.length);
  assert.equal(entry.thoughtTokens, live.segments.filter((s) => s.phase === 'thought').reduce((n, s) => n + s.tokens, 0));
  assert.deepEqual(session.recording, await client.conn.sendRequest(lsp.getRecording, { sessionId }).then((r) => ({ ...r!, createdAt: session.recording.createdAt })));
  const thumb = await sharp(Buffer.from(session.thumbnailBase64!, 'base64')).metadata();
  assert.equal(thumb.format, 'png');
  assert.ok(Math.max(thumb.width!, thumb.height!) <= 160);
  assert.equal(await client.conn.sendRequest(lsp.getHistorySession, { id: 'unknown' }), null);

  // Nothing kept holds the key or the image's bytes.
  const sent = readFileSync(join(ws, 'figure.png')).toString('base64').slice(0, 64);
  for (const f of files(storage)) {
    const text = readFileSync(f, 'latin1');
    assert.ok(!text.includes(API_KEY), `${f} holds the API key`);
    assert.ok(!text.includes(sent), `${f} holds the image`);
  }
  assert.match(readFileSync(join(storage, 'sessions', `${sessionId}.json`), 'utf8'), /data:image\/png;base64,<image omitted>/);
});

test('export: Markdown with a relative image link and the thought, or the recording as JSON, written atomically', async () => {
  const [entry] = await client.list();
  const mdPath = join(ws, 'exports', 'triangle.md');
  const md = await client.conn.sendRequest(lsp.exportHistorySession, { id: entry.id, format: 'markdown', path: mdPath });
  assert.deepEqual(md, { path: mdPath, bytes: readFileSync(mdPath).length });
  const text = readFileSync(mdPath, 'utf8');
  assert.match(text, /^# Virgo: What is the length of AB\?\n\n!\[figure\.png\]\(<\.\.\/figure\.png>\)/);
  assert.match(text, /^\*\*Reflection 2 \(verify\)\*\* Let me double-check/m);
  assert.match(text, /^\*\*Answer:\*\* \$\\sqrt\{5\}\$$/m);
  assert.ok(text.includes('$$\nAB^2 = AC^2 + BC^2\n$$'));

  const jsonPath = join(ws, 'exports', 'triangle.recording.json');
  await client.conn.sendRequest(lsp.exportHistorySession, { id: entry.id, format: 'json', path: jsonPath });
  const recording = JSON.parse(readFileSync(jsonPath, 'utf8'));
  assert.equal(recording.format, 'virgo-recording');
  assert.deepEqual(recording, (await client.conn.sendRequest(lsp.getHistorySession, { id: entry.id }))!.recording);
  assert.deepEqual(readdirSync(join(ws, 'exports')).sort(), ['triangle.md', 'triangle.recording.json'], 'no temp files left');

  assert.equal(await client.conn.sendRequest(lsp.exportHistorySession, { id: 'unknown', format: 'json', path: jsonPath }), null);
  await assert.rejects(client.conn.sendRequest(lsp.exportHistorySession, { id: entry.id, format: 'pdf' as 'json', path: jsonPath }), /format/);
  await assert.rejects(
    client.conn.sendRequest(lsp.exportHistorySession, { id: entry.id, format: 'markdown', path: join(ws, 'no', 'such', 'dir', 'x.md') }),
    /Could not write .*ENOENT.*Choose a folder/,
  );
});

test('an interrupted session is kept, and Continue updates the same entry', async () => {
  const before = (await client.list()).length;
  const cut = transcript.indexOf('Let me double-check') + 30;
  backend.setScenario({ kind: 'sequence', steps: [
    { kind: 'stream', content: [transcript.slice(0, cut - 4), transcript.slice(cut - 4, cut), transcript.slice(cut)], fault: { kind: 'drop', afterChunks: 2 } },
    { kind: 'stream', content: transcript.slice(cut), chunkChars: 23 },
  ] });
  try {
    client.changes.length = 0;
    const { sessionId, result } = await client.ask('Continue me?');
    assert.equal(result.reason, 'error');
    assert.equal(result.canContinue, true);
    const interrupted = (await client.list())[0];
    assert.equal(interrupted.id, sessionId);
    assert.equal(interrupted.endReason, 'error');
    assert.deepEqual(interrupted.boxed, []);

    const continued = await client.conn.sendRequest(lsp.continueSession, { sessionId, settings, apiKey: API_KEY });
    assert.equal(continued.reason, 'stop');
    assert.deepEqual(client.changes, [{ kind: 'added', ids: [sessionId] }, { kind: 'updated', ids: [sessionId] }]);
    const list = await client.list();
    assert.equal(list.length, before + 1, 'one entry, not two');
    assert.equal(list[0].id, sessionId);
    assert.equal(list[0].createdAt, interrupted.createdAt);
    assert.equal(list[0].endReason, 'stop');
    assert.deepEqual(list[0].boxed, ['\\sqrt{5}']);
    const session = (await client.conn.sendRequest(lsp.getHistorySession, { id: sessionId }))!;
    assert.deepEqual(withoutMs(session.segments), withoutMs(client.live(sessionId).segments), 'the segments of both runs, as shown');
  } finally {
    backend.setScenario({ kind: 'stream', content: transcript, chunkChars: 23 });
  }
});

test('virgo.history.enabled false keeps nothing new; maxEntries prunes the oldest; pasted images have no path', async () => {
  const before = await client.list();
  client.changes.length = 0;
  await client.conn.sendNotification(lsp.setHistoryOptions, { enabled: false });
  const off = await client.ask('Not kept?');
  assert.equal(off.result.reason, 'stop');
  assert.deepEqual(await client.list(), before);
  assert.deepEqual(client.changes, []);

  await client.conn.sendNotification(lsp.setHistoryOptions, { enabled: true, maxEntries: 2 });
  const pasted = (await sharp({ create: { width: 120, height: 90, channels: 3, background: '#3366cc' } }).png().toBuffer()).toString('base64');
  const { sessionId } = await client.ask('Pasted?', { name: 'pasted.png', dataBase64: pasted });
  const list = await client.list();
  assert.deepEqual(list.map((e) => e.id), [sessionId, before[0].id]);
  assert.deepEqual(client.changes, [{ kind: 'added', ids: [sessionId] }, { kind: 'removed', ids: [before[1].id] }]);
  assert.equal(list[0].image.name, 'pasted.png');
  assert.equal(list[0].image.path, undefined);
  await client.conn.sendNotification(lsp.setHistoryOptions, { maxEntries: 500 });
});

test('delete forgets an entry and its files; the history survives a restart', async () => {
  const [newest, older] = await client.list();
  client.changes.length = 0;
  assert.equal(await client.conn.sendRequest(lsp.deleteHistorySession, { id: newest.id }), true);
  assert.deepEqual(client.changes, [{ kind: 'removed', ids: [newest.id] }]);
  assert.equal(await client.conn.sendRequest(lsp.deleteHistorySession, { id: newest.id }), false);
  assert.equal(await client.conn.sendRequest(lsp.getHistorySession, { id: newest.id }), null);
  assert.deepEqual(readdirSync(join(storage, 'sessions')).sort(), [`${older.id}.json`, `${older.id}.png`]);

  const kept = await client.conn.sendRequest(lsp.getHistorySession, { id: older.id });
  await client.stop();
  client = await Client.start({ storagePath: storage });
  assert.deepEqual((await client.list()).map((e) => e.id), [older.id]);
  assert.deepEqual(await client.conn.sendRequest(lsp.getHistorySession, { id: older.id }), kept);
});
