/**
 * The input of `virgo batch`: one item a line, `{"id","image","question","answer"?}`, the image
 * relative to the images folder and `answer` the gold one. The whole file is checked before
 * anything is sent, so a typo on line 900 does not surface an hour into a run.
 */
import { readFile } from 'node:fs/promises';

export interface BatchItem {
  /** As written in the data (a string or a number), echoed in the result line. */
  id: string | number;
  /** String form, the key for resuming and for file names. */
  key: string;
  image: string;
  question: string;
  /** The gold answer, or null when the data has none. */
  answer: string | null;
  /** 1-based line in the data file, for messages. */
  line: number;
}

/** The data file is unusable: the message names the file, the line and the fix. */
export class BatchInputError extends Error {
  override name = 'BatchInputError';
}

export async function readBatchItems(file: string): Promise<BatchItem[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BatchInputError(code === 'ENOENT' ? `${file}: no such file.` : `${file}: cannot be read (${code ?? (e as Error).message}).`);
  }
  return parseBatchItems(text, file);
}

export function parseBatchItems(text: string, file: string): BatchItem[] {
  const items: BatchItem[] = [];
  const seen = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, k) => {
    const line = k + 1;
    if (!raw.trim()) return;
    const at = `${file}:${line}`;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      throw new BatchInputError(`${at}: not a JSON object (${(e as Error).message}). Each line is {"id", "image", "question", "answer"?}.`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new BatchInputError(`${at}: not a JSON object. Each line is {"id", "image", "question", "answer"?}.`);
    }
    const o = value as Record<string, unknown>;
    if (!(typeof o.id === 'string' && o.id.trim() !== '') && !(typeof o.id === 'number' && Number.isFinite(o.id))) {
      throw new BatchInputError(`${at}: "id" must be a non-empty string or a number.`);
    }
    if (typeof o.image !== 'string' || o.image.trim() === '') {
      throw new BatchInputError(`${at}: "image" must be the image's path (relative to --images).`);
    }
    if (o.question !== undefined && o.question !== null && typeof o.question !== 'string') {
      throw new BatchInputError(`${at}: "question" must be a string.`);
    }
    const gold = o.answer;
    if (gold !== undefined && gold !== null && typeof gold !== 'string' && typeof gold !== 'number') {
      throw new BatchInputError(`${at}: "answer" (the gold answer) must be a string, a number or null.`);
    }
    const key = String(o.id);
    const first = seen.get(key);
    if (first !== undefined) {
      throw new BatchInputError(`${at}: id "${key}" is already used on line ${first}. Ids must be unique: results are matched to items by id.`);
    }
    seen.set(key, line);
    items.push({
      id: o.id as string | number,
      key,
      image: o.image,
      question: typeof o.question === 'string' ? o.question : '',
      answer: gold === undefined || gold === null || String(gold).trim() === '' ? null : String(gold),
      line,
    });
  });
  return items;
}
