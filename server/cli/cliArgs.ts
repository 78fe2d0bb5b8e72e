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
