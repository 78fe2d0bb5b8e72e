/**
 * Inline answers on disk, so they survive restarts: one JSON file per answer (its whole thought,
 * for the panel) keyed by sha256(image bytes, question, model, parameters), plus index.json with
 * a summary of each answer (what a code lens shows, without reading the thought) and, per image
 * source, the answer asked last with the image's hash and file stamp when it was asked: once for
 * the document it was asked from (the answer stays where it was asked) and once for the image
 * anywhere (other documents referencing it show it too). An answer is stale when its image's
 * bytes are no longer the ones it was asked about.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { AnswerParams, StoredAnswer } from '../../protocol/inlineQa';
import type { EndReason } from '../../protocol/thought';
import { writeFileAtomic } from '../util/atomicWrite';

export interface AnswerSummary {
  key: string;
  question: string;
  model: string;
  boxed: string | null;
  /** The start of the solution text, for answers without \boxed{}. */
  answerText: string;
  tokens: number;
  durationMs: number;
  createdAt: number;
  reason: EndReason;
  imageSha256: string;
  imageTokens: number;
}

export interface SourceEntry {
  key: string;
  sha256: string;
  /** For files: the stamp the hash belongs to, so an unchanged file is not read again. */
  mtimeMs?: number;
  size?: number;
}

export type Freshness = 'fresh' | 'stale' | 'missing' | 'unknown';

interface IndexFile {
  version: 1;
  answers: Record<string, AnswerSummary>;
  sources: Record<string, SourceEntry>;
}

const INDEX = 'index.json';
const EMPTY = (): IndexFile => ({ version: 1, answers: {}, sources: {} });

export function answerKey(imageSha256: string, question: string, model: string, params: AnswerParams): string {
  const p: AnswerParams = { maxTokens: params.maxTokens, temperature: params.temperature, maxPixels: params.maxPixels, promptPrefix: params.promptPrefix };
  return createHash('sha256').update(JSON.stringify([imageSha256, question, model, p])).digest('hex');
}

/** The index keys an answer is filed under: this document's reference first, then the image anywhere. */
export function sourceKeys(documentUri: string, source: string): string[] {
  return [`${documentUri} ${source}`, source];
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function summarize(a: StoredAnswer): AnswerSummary {
  return {
    key: a.key, question: a.question, model: a.model,
    boxed: a.answer.boxed.at(-1) ?? null,
    answerText: a.answer.text.trim().slice(0, 400),
    tokens: a.end.usage?.completion_tokens ?? a.segments.reduce((n, s) => n + s.tokens, 0),
    durationMs: a.durationMs, createdAt: a.createdAt, reason: a.end.reason,
    imageSha256: a.imageSha256, imageTokens: a.start.imageTokens,
  };
}

export class AnswerStore {
  private index: IndexFile = EMPTY();
  /** Hashes of files by stamp, so a changed mtime is checked once. */
  private readonly hashes = new Map<string, { mtimeMs: number; size: number; sha256: string }>();
  private writing: Promise<void> = Promise.resolve();
  private keptBroken = false;

  private constructor(readonly dir: string, private readonly log: (m: string) => void) {}

  static async open(dir: string, log: (m: string) => void = () => {}): Promise<AnswerStore> {
    const store = new AnswerStore(dir, log);
    // Nothing is created until an answer is saved: opening documents writes nothing.
    store.index = await store.readIndex();
    return store;
  }

  /** The answer last asked under the first of these keys that has one (see sourceKeys). */
  latest(keys: readonly string[]): { entry: SourceEntry; summary: AnswerSummary } | undefined {
    for (const k of keys) {
      const entry = this.index.sources[k];
      const summary = entry && this.index.answers[entry.key];
      if (summary) return { entry, summary };
    }
    return undefined;
  }

  summary(key: string): AnswerSummary | undefined {
    return this.index.answers[key];
  }

  async load(key: string): Promise<StoredAnswer | null> {
    if (!/^[0-9a-f]{64}$/.test(key)) return null;
    try {
      return JSON.parse(await readFile(this.answerFile(key), 'utf8')) as StoredAnswer;
    } catch {
      return null;
    }
  }

  /** Keeps an answer and makes it the one shown under `keys`. */
  save(answer: StoredAnswer, keys: readonly string[], stamp?: { mtimeMs: number; size: number }): Promise<void> {
    return this.serialized(async () => {
      await mkdir(path.join(this.dir, 'answers'), { recursive: true });
      await writeFileAtomic(this.answerFile(answer.key), JSON.stringify(answer));
      await this.updateIndex((index) => {
        index.answers[answer.key] = summarize(answer);
        for (const k of keys) index.sources[k] = { key: answer.key, sha256: answer.imageSha256, ...stamp };
      });
    });
  }

  /** Shows an already stored answer under `keys` (asked again and found in the store). */
  point(keys: readonly string[], key: string, imageSha256: string, stamp?: { mtimeMs: number; size: number }): Promise<void> {
    return this.serialized(() => this.updateIndex((index) => {
      for (const k of keys) index.sources[k] = { key, sha256: imageSha256, ...stamp };
    }));
  }

  /**
   * Whether the file still holds the bytes the answer was about: an unchanged stamp is enough;
   * a changed one (a touch, a checkout) is settled by hashing the file once.
   */
  async fileFreshness(file: string, entry: SourceEntry): Promise<Freshness> {
    const st = await stat(file).catch(() => undefined);
    if (!st?.isFile()) return 'missing';
    if (entry.mtimeMs === st.mtimeMs && entry.size === st.size) return 'fresh';
    const known = this.hashes.get(file);
    let digest = known && known.mtimeMs === st.mtimeMs && known.size === st.size ? known.sha256 : undefined;
    if (!digest) {
      const data = await readFile(file).catch(() => undefined);
      if (!data) return 'missing';
      digest = sha256(data);
      this.hashes.set(file, { mtimeMs: st.mtimeMs, size: st.size, sha256: digest });
    }
    return digest === entry.sha256 ? 'fresh' : 'stale';
  }

  private answerFile(key: string): string {
    return path.join(this.dir, 'answers', `${key}.json`);
  }

  private async readIndex(): Promise<IndexFile> {
    const file = path.join(this.dir, INDEX);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return EMPTY();
    }
    try {
      const parsed = JSON.parse(text) as IndexFile;
      if (parsed.version === 1 && parsed.answers && parsed.sources) return parsed;
    } catch { /* handled below */ }
    // Keep the unreadable file for inspection instead of overwriting it on the next save.
    if (!this.keptBroken) {
      this.keptBroken = true;
      this.log(`answer index ${file} is unreadable; starting a new one (the old one is kept as ${INDEX}.broken)`);
      await writeFileAtomic(`${file}.broken`, text).catch(() => {});
    }
    return EMPTY();
  }

  /** Re-reads the index before writing: another server (another window) may share the directory. */
  private async updateIndex(change: (index: IndexFile) => void): Promise<void> {
    const current = await this.readIndex();
    const merged: IndexFile = {
      version: 1,
      answers: { ...current.answers, ...this.index.answers },
      sources: { ...current.sources, ...this.index.sources },
    };
    change(merged);
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(path.join(this.dir, INDEX), JSON.stringify(merged, null, 1));
    this.index = merged;
  }

  private serialized(job: () => Promise<void>): Promise<void> {
    const next = this.writing.then(job);
    this.writing = next.catch(() => {});
    return next;
  }
}
