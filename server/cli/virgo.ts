#!/usr/bin/env node
/**
 * `virgo`: the scripting face of the reasoning core. This dispatcher loads nothing but the
 * subcommand it runs, so `virgo prepare` never loads the HTTP stack and `--help` loads nothing.
 */
import { join } from 'node:path';

const USAGE = `Usage: virgo <command> [options]

Commands:
  prepare IMAGE [--max-pixels N] [--json]
      Check an image and show the size Qwen2-VL will see and its visual-token cost.
  reason IMAGE [--question TEXT] [--backend URL] [--model ID] [--max-tokens N]
               [--max-pixels N] [--idle-timeout MS] [--json]
      Ask Virgo about an image and print its long thought, step by step, and the answer.
  replay FILE [--port N] [--speed X]
      Serve a recorded session as an OpenAI-compatible backend (no GPU needed).
  batch DATA.jsonl --out RESULTS.jsonl [--images DIR] [--concurrency N] [--backend URL]…
      Run a data set (one {"id","image","question","answer"} a line) and append one result
      line per item, with its recording; rerun to resume.
  report RESULTS.jsonl [--json]
      Accuracy, thought length and reflections of a batch's results.

Environment: VIRGO_BACKEND_URL (default http://127.0.0.1:8000/v1), VIRGO_API_KEY.
Exit codes: 0 done, 2 bad input (nothing sent), 3 backend failure, 130 cancelled.
Run "virgo <command> --help" for a command's options.`;

/** Subcommand → its bundle next to this file (dist/cli/NAME.js). */
const COMMANDS: Record<string, string> = {
  prepare: 'prepare', reason: 'reason', replay: 'replay', batch: 'batch', report: 'report',
};

interface CommandModule { run(argv: string[]): Promise<number> }

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE + '\n');
    return command ? 0 : 2;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(require(join(__dirname, '..', 'package.json')).version + '\n');
    return 0;
  }
  const bundle = COMMANDS[command];
  if (!bundle) {
    process.stderr.write(`virgo: unknown command "${command}".\n\n${USAGE}\n`);
    return 2;
  }
  // A computed path keeps esbuild from pulling the subcommand into this bundle.
  const mod = require(join(__dirname, 'cli', `${bundle}.js`)) as CommandModule;
  return mod.run(rest);
}

// `virgo reason … | head` closes stdout early: stop quietly, as Unix tools do.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => {
    process.stderr.write(`virgo: ${(e as Error)?.stack ?? e}\n`);
    process.exitCode = 1;
  },
);
