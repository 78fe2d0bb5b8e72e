/**
 * RESULTS.jsonl on disk: read back for resuming and for `virgo report`, appended to one whole
 * line at a time. A run killed mid-write leaves at most a half-written last line; it is
 * tolerated (and dropped, so that item is redone).
 */
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomicWrite';
import type { BatchResult } from './batchResult';

export interface ResultLine {
  /** 1-based line number in the file. */
  line: number;
  raw: string;
  result: BatchResult;
}

export interface ParsedResults {
  lines: ResultLine[];
  /** Lines before the last that are not result objects (1-based). */
  badLines: number[];
  /** The last line was cut short (or is not a result): a run was killed while writing it. */
  partialTail: boolean;
  /** The file's text does not end with a newline. */
  missingNewline: boolean;
}

export function parseResults(text: string): ParsedResults {
  const rows = text.split('\n');
  const lastIndex = rows.length - 1 - [...rows].reverse().findIndex((r) => r.trim() !== '');
  const parsed: ParsedResults = { lines: [], badLines: [], partialTail: false, missingNewline: text !== '' && !text.endsWith('\n') };
  rows.forEach((raw, k) => {
    if (!raw.trim()) return;
    const result = asResult(raw);
    if (result) parsed.lines.push({ line: k + 1, raw: raw.replace(/\r$/, ''), result });
    else if (k === lastIndex) parsed.partialTail = true;
    else parsed.badLines.push(k + 1);
  });
  return parsed;
}

function asResult(raw: string): BatchResult | undefined {
  try {
    const v = JSON.parse(raw) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    const id = (v as { id?: unknown }).id;
    return typeof id === 'string' || typeof id === 'number' ? (v as BatchResult) : undefined;
  } catch {
    return undefined;
  }
}

/** The file's text, or '' when it does not exist yet. */
export async function readResultsText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

export interface ResumeState {
  /** Lines kept: these ids are done. */
  kept: ResultLine[];
  done: Set<string>;
  /** Failed lines dropped to be redone (backend failures). */
  redo: number;
  /** A half-written last line was dropped. */
  droppedPartial: boolean;
}

/**
 * Prepares RESULTS.jsonl for appending: keeps whole result lines, drops a half-written last line
 * and the lines of items that failed on the backend (they are redone), and rewrites the file
 * atomically when anything was dropped. Throws when a line in the middle is not a result:
 * that file is not ours to rewrite.
 */
export async function prepareForResume(file: string, shouldRedo: (r: BatchResult) => boolean): Promise<ResumeState> {
  const text = await readResultsText(file);
  const parsed = parseResults(text);
  if (parsed.badLines.length > 0) {
    throw new Error(`${file}: line ${parsed.badLines[0]} is not a result line. Fix or remove it, or choose another --out.`);
  }
  const kept = parsed.lines.filter((l) => !shouldRedo(l.result));
  const redo = parsed.lines.length - kept.length;
  if (redo > 0 || parsed.partialTail || parsed.missingNewline) {
    await writeFileAtomic(file, kept.map((l) => l.raw + '\n').join(''));
  }
  return { kept, done: new Set(kept.map((l) => String(l.result.id))), redo, droppedPartial: parsed.partialTail };
}

/** Appends result lines, one write each, in the order they are given. */
export class ResultsWriter {
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly handle: FileHandle) {}

  static async open(file: string): Promise<ResultsWriter> {
    return new ResultsWriter(await open(file, 'a'));
  }

  /** Resolves once the line is in the file. */
  append(result: BatchResult): Promise<void> {
    const line = JSON.stringify(result) + '\n';
    const written = this.chain.then(() => this.handle.write(line)).then(() => undefined);
    this.chain = written.catch(() => undefined);
    return written;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.handle.close();
  }
}
