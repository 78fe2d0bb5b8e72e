import { readFile } from 'node:fs/promises';

/** Reads a PEM file of CA certificates to trust for an https backend; the message says what to fix. */
export async function readCaCertificates(path: string, setting: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`Cannot read the CA certificate file ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Fix ${setting} or leave it empty.`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error(`${path} holds no PEM certificate ("-----BEGIN CERTIFICATE-----"). Point ${setting} at the CA's PEM file.`);
  }
  return text;
}
