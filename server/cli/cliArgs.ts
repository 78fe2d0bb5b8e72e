import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A bad command line: the CLI prints the message with a hint and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const EXIT = { ok: 0, badInput: 2, backend: 3, cancelled: 130 } as const;

type Options = NonNullable<ParseArgsConfig['options']>;

/** node's own argument parser, with errors turned into UsageError. */
export function parseCommandLine<O extends Options>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n\n${usage}`);
  }
}

/** A positive integer option, or undefined when absent. */
export function intOption(value: string | undefined, name: string, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} takes a whole number ≥ ${min}, got "${value}".`);
  return n;
}

export function floatOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} takes a number, got "${value}".`);
  return n;
}

/** One JSON object a line on stdout, the `--json` contract. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

export const DEFAULT_BACKEND_URL = 'http://127.0.0.1:8000/v1';

/** --backend's value, or $VIRGO_BACKEND_URL, or the local default; one URL, checked by checkBackendUrl. */
export function defaultBackendUrl(): string {
  return process.env.VIRGO_BACKEND_URL || DEFAULT_BACKEND_URL;
}

/** A --backend URL must be http(s): anything else is refused before it is tried. */
export function checkBackendUrl(url: string): string {
  if (!/^https?:\/\//i.test(url)) throw new UsageError(`--backend must be an http(s) URL such as ${DEFAULT_BACKEND_URL}, got "${url}".`);
  return url;
}

/** The options `virgo reason` and `virgo batch` share: the model, its sampling, the image budget, the connection. */
export const SESSION_OPTIONS = {
  model: { type: 'string' },
  'max-tokens': { type: 'string' },
  temperature: { type: 'string' },
  'max-pixels': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'ca-file': { type: 'string' },
} as const;

/** SESSION_OPTIONS' values, checked and named. */
export function sessionOptions(values: { [K in keyof typeof SESSION_OPTIONS]?: string }) {
  return {
    model: values.model,
    maxTokens: intOption(values['max-tokens'], 'max-tokens'),
    temperature: floatOption(values.temperature, 'temperature'),
    maxPixels: intOption(values['max-pixels'], 'max-pixels'),
    idleTimeout: intOption(values['idle-timeout'], 'idle-timeout'),
    caFile: values['ca-file'],
  };
}
