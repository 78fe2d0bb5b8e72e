import { readFile } from 'node:fs/promises';
import type { Recording } from '../../protocol/recording';

/** Reads and checks a recording file; the message says what is wrong with it. */
export async function readRecording(file: string): Promise<Recording> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read the recording (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not a recording: the file is not valid JSON (${(e as Error).message}).`);
  }
  const r = value as Partial<Recording>;
  if (r?.format !== 'virgo-recording' || r.version !== 1) {
    throw new Error(`${file}: not a recording: expected "format": "virgo-recording" and "version": 1.`);
  }
  if (!Array.isArray(r.events) || r.events.some((e) => typeof e?.t !== 'number')) {
    throw new Error(`${file}: broken recording: "events" must be a list of {t, content?, reasoning?, finishReason?, usage?}.`);
  }
  return r as Recording;
}
