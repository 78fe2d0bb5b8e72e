import { rename, rm, writeFile } from 'node:fs/promises';

/** Writes through a temp file and a rename, so a crash mid-write leaves the old file whole. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(temp, data);
    await rename(temp, file);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}
