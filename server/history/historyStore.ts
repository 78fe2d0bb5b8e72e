/**
 * Session history on disk: one JSON file per session (its summary and recording; never the key,
 * never the image bytes) and a small PNG thumbnail beside it, in `sessions/`, plus index.json, the
 * summaries newest first, so listing and searching read one file. The session files are the
 * truth: a missing or unreadable index is rebuilt from them, and the first read in a process
 * reconciles the two (a crash between writing a session and the index loses nothing). Several
 * servers (VS Code windows) may share the directory, so every change re-reads the index first.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import {
  DEFAULT_HISTORY_MAX_ENTRIES,
  type ExportHistoryParams, type ExportHistoryResult, type HistorySession, type HistorySummary, type ListHistoryParams,
} from '../../protocol/history';
import type { Recording } from '../../protocol/recording';
import type { EndReason, ReflectionType } from '../../protocol/thought';
import { DEFAULT_QUESTION } from '../backend/requestBuilder';
import { writeFileAtomic } from '../util/atomicWrite';
import { sessionToMarkdown } from './markdownExport';
import { thoughtFromRecording } from './recordingThought';

/** A session to keep (or to update, when its id is already kept). */
export interface HistoryInput {
  id: string;
  recording: Recording;
  endReason: EndReason;
  backend: string;
  /** The original file's absolute path, when the image came from one. */
  imagePath?: string;
  /** Called only when the entry has no thumbnail yet (a continued session keeps its first). */
  thumbnail?: () => Promise<Uint8Array>;
}

export interface HistoryChange {
  summary: HistorySummary;
  kind: 'added' | 'updated';
  /** Entries pruned to stay within the bound. */
  removed: string[];
}

interface SessionFile {
  version: 1;
  summary: HistorySummary;
  recording: Recording;
}

interface IndexFile {
  version: 1;
  entries: HistorySummary[];
}

const INDEX = 'index.json';
const SESSIONS = 'sessions';
/** Of the solution text, in the summary: enough to search and to show an unboxed answer. */
const ANSWER_TEXT_CHARS = 500;

export class HistoryStore {
  private writing: Promise<unknown> = Promise.resolve();
  private reconciled = false;
  private keptBroken = false;
  private maxEntries = DEFAULT_HISTORY_MAX_ENTRIES;
  private readonly log: (m: string) => void;

  /** Nothing is created until a session is kept. */
  constructor(readonly dir: string, options: { maxEntries?: number; log?: (m: string) => void } = {}) {
    this.log = options.log ?? (() => {});
    this.setMaxEntries(options.maxEntries);
  }

  /** The new bound applies from the next change (see prune). */
  setMaxEntries(n: number | undefined): void {
    this.maxEntries = typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : DEFAULT_HISTORY_MAX_ENTRIES;
  }

  /** Keeps a session, or updates its entry (Continue: same id, longer recording); prunes the oldest past the bound. */
  record(input: HistoryInput): Promise<HistoryChange> {
    return this.serialized(async () => {
      const index = await this.readIndex();
      const existing = index.entries.find((e) => e.id === input.id);
      const files = this.files(input.id);
      await mkdir(path.join(this.dir, SESSIONS), { recursive: true });
      let hasThumbnail = existing?.hasThumbnail ?? false;
      if (!hasThumbnail && input.thumbnail) {
        try {
          await writeFileAtomic(files.thumbnail, await input.thumbnail());
          hasThumbnail = true;
        } catch (e) {
          this.log(`history: no thumbnail for session ${input.id} (${(e as Error).message})`);
        }
      }
      const summary = summarize(input, existing, hasThumbnail);
      const file: SessionFile = { version: 1, summary, recording: input.recording };
      // The session first, then the index: a crash in between leaves a file the next reconcile picks up.
      await writeFileAtomic(files.session, JSON.stringify(file));
      const entries = sortEntries([summary, ...index.entries.filter((e) => e.id !== input.id)]);
      const removed = await this.prune(entries);
      await this.writeIndex(entries);
      return { summary, kind: existing ? 'updated' as const : 'added' as const, removed };
    });
  }

  /** Newest first; `query` matches the question or the answer, case-insensitively. */
  list(p: ListHistoryParams = {}): Promise<HistorySummary[]> {
    return this.serialized(async () => {
      const { entries } = await this.readIndex();
      const query = p.query?.trim().toLowerCase();
      const found = query ? entries.filter((e) => matches(e, query)) : entries;
      const limit = typeof p.limit === 'number' && p.limit >= 0 ? Math.floor(p.limit) : undefined;
      return limit === undefined ? found : found.slice(0, limit);
    });
  }

  /** The entry in full, its thought rebuilt from the recording; null when unknown. */
  async get(id: string): Promise<HistorySession | null> {
    const file = await this.readSession(id);
    if (!file) return null;
    const { segments, answer } = thoughtFromRecording(file.recording);
    const thumbnail = file.summary.hasThumbnail ? await readFile(this.files(id).thumbnail).catch(() => undefined) : undefined;
    return {
      summary: file.summary, segments, answer, recording: file.recording,
      ...(thumbnail ? { thumbnailBase64: thumbnail.toString('base64') } : {}),
    };
  }

  /** Forgets an entry and its files; false when there was none. */
  remove(id: string): Promise<boolean> {
    return this.serialized(async () => {
      const index = await this.readIndex();
      const known = index.entries.some((e) => e.id === id);
      const files = this.files(id);
      const onDisk = await stat(files.session).then(() => true, () => false);
      if (!known && !onDisk) return false;
      // Files first: a crash before the index is written leaves an entry that reconcile drops.
      await rm(files.session, { force: true });
      await rm(files.thumbnail, { force: true });
      await this.writeIndex(index.entries.filter((e) => e.id !== id));
      return true;
    });
  }

  /** Writes the session as Markdown or as its recording (JSON), atomically; null when unknown. */
  async exportTo(p: ExportHistoryParams): Promise<ExportHistoryResult | null> {
    const session = await this.get(p.id);
    if (!session) return null;
    const text = p.format === 'json'
      ? JSON.stringify(session.recording, null, 1) + '\n'
      : sessionToMarkdown(session, { exportPath: p.path });
    await writeFileAtomic(p.path, text);
    return { path: p.path, bytes: Buffer.byteLength(text) };
  }

  private files(id: string): { session: string; thumbnail: string } {
    const base = path.join(this.dir, SESSIONS, stemFor(id));
    return { session: `${base}.json`, thumbnail: `${base}.png` };
  }

  private async readSession(id: string): Promise<SessionFile | null> {
    const file = await readSessionFile(this.files(id).session);
    return file && file.summary.id === id ? file : null;
  }

  private async readIndex(): Promise<IndexFile> {
    const file = path.join(this.dir, INDEX);
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch { /* missing: rebuilt below */ }
    let index = text === undefined ? undefined : parseIndex(text);
    if (!index) {
      if (text !== undefined && !this.keptBroken) {
        // Keep the unreadable file for inspection; the session files rebuild the index.
        this.keptBroken = true;
        this.log(`history index ${file} is unreadable; rebuilding it from the sessions (the old one is kept as ${INDEX}.broken)`);
        await writeFileAtomic(`${file}.broken`, text).catch(() => {});
      }
      index = { version: 1, entries: [] };
      this.reconciled = false;
    }
    if (!this.reconciled) {
      this.reconciled = true;
      if (await this.reconcile(index)) await this.writeIndex(index.entries);
    }
    return index;
  }

  /** Adds sessions the index lacks and drops entries whose session is gone; true when it changed something. */
  private async reconcile(index: IndexFile): Promise<boolean> {
    const names = await readdir(path.join(this.dir, SESSIONS)).catch(() => [] as string[]);
    const stems = new Set(names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)));
    const known = new Set<string>();
    const kept = index.entries.filter((e) => {
      const stem = stemFor(e.id);
      known.add(stem);
      return stems.has(stem);
    });
    let changed = kept.length !== index.entries.length;
    for (const stem of stems) {
      if (known.has(stem)) continue;
      const file = await readSessionFile(path.join(this.dir, SESSIONS, `${stem}.json`));
      if (file && stemFor(file.summary.id) === stem) {
        kept.push(file.summary);
        changed = true;
      }
    }
    index.entries = sortEntries(kept);
    return changed;
  }

  /** Drops the oldest entries past the bound, with their files; their ids. */
  private async prune(entries: HistorySummary[]): Promise<string[]> {
    const gone = entries.splice(this.maxEntries);
    for (const e of gone) {
      const files = this.files(e.id);
      await rm(files.session, { force: true });
      await rm(files.thumbnail, { force: true });
    }
    return gone.map((e) => e.id);
  }

  private async writeIndex(entries: HistorySummary[]): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const index: IndexFile = { version: 1, entries };
    await writeFileAtomic(path.join(this.dir, INDEX), JSON.stringify(index, null, 1));
  }

  /** One change or read at a time in this process, so no write sees a half-applied other one. */
  private serialized<T>(job: () => Promise<T>): Promise<T> {
    const next = this.writing.then(job);
    this.writing = next.catch(() => {});
    return next;
  }
}

/** The summary of a session from its recording: the thought is rebuilt, never trusted from the client. */
export function summarize(input: HistoryInput, existing: HistorySummary | undefined, hasThumbnail: boolean, now = Date.now()): HistorySummary {
  const r = input.recording;
  const thought = thoughtFromRecording(r);
  const reflections: Record<ReflectionType, number> = { verify: 0, backtrack: 0, alternative: 0 };
  let thoughtTokens = 0;
  for (const s of thought.segments) {
    if (s.kind === 'reflection' && s.reflection) reflections[s.reflection]++;
    if (s.phase === 'thought') thoughtTokens += s.tokens;
  }
  const { file, ...info } = r.image;
  const imagePath = input.imagePath ?? existing?.image.path;
  return {
    id: input.id,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
    question: r.question.trim() || DEFAULT_QUESTION,
    boxed: thought.answer.boxed,
    answerText: thought.answer.text.trim().slice(0, ANSWER_TEXT_CHARS),
    model: r.model,
    backend: input.backend,
    thoughtTokens,
    chunks: thought.chunks,
    usage: thought.usage,
    durationMs: thought.durationMs,
    segments: thought.segments.length,
    reflections,
    endReason: input.endReason,
    image: {
      name: file.split(/[\\/]/).pop() || file,
      ...(imagePath ? { path: imagePath } : {}),
      width: info.width, height: info.height, sentWidth: info.sentWidth, sentHeight: info.sentHeight,
      imageTokens: info.imageTokens, mime: info.mime, bytes: info.bytes,
    },
    hasThumbnail,
  };
}

/** A file name for an id: the id itself when it is a safe name (session ids are UUIDs), else its hash. */
export function stemFor(id: string): string {
  return /^[a-z0-9_-]{1,100}$/.test(id) ? id : `h-${createHash('sha256').update(id).digest('hex').slice(0, 40)}`;
}

function matches(e: HistorySummary, query: string): boolean {
  return [e.question, e.answerText, ...e.boxed].some((t) => t.toLowerCase().includes(query));
}

function sortEntries(entries: HistorySummary[]): HistorySummary[] {
  return entries.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function parseIndex(text: string): IndexFile | undefined {
  try {
    const v = JSON.parse(text) as Partial<IndexFile>;
    if (v?.version === 1 && Array.isArray(v.entries) && v.entries.every(isSummary)) return v as IndexFile;
  } catch { /* unreadable */ }
  return undefined;
}

async function readSessionFile(file: string): Promise<SessionFile | null> {
  try {
    const v = JSON.parse(await readFile(file, 'utf8')) as Partial<SessionFile>;
    const r = v?.recording;
    if (v?.version === 1 && isSummary(v.summary) && r?.format === 'virgo-recording' && Array.isArray(r.events)) return v as SessionFile;
  } catch { /* missing or unreadable: not a session */ }
  return null;
}

function isSummary(v: unknown): v is HistorySummary {
  const s = v as Partial<HistorySummary> | null;
  return typeof s?.id === 'string' && typeof s.createdAt === 'number' && typeof s.question === 'string' &&
    Array.isArray(s.boxed) && typeof s.answerText === 'string' && typeof s.image === 'object' && s.image !== null;
}
