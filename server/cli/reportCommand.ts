import { basename } from 'node:path';
import { buildReport, formatReport } from '../eval/evalReport';
import { parseResults, readResultsText } from '../eval/resultsFile';
import { EXIT, parseCommandLine, printJson, UsageError } from './cliArgs';

const USAGE = `Usage: virgo report RESULTS.jsonl [--json]

Summarizes the results of \`virgo batch\`: accuracy over items with a gold answer, mean thought
tokens, mean reflections by type (verify, backtrack, alternative), and accuracy split by whether
the thought reflected. Failed items are counted, not scored. Nothing is sent anywhere.
  --json   the same as one JSON object`;

export async function run(argv: string[]): Promise<number> {
  let file: string;
  let json: boolean;
  try {
    const { values, positionals } = parseCommandLine(argv, {
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    }, USAGE);
    if (values.help) { process.stdout.write(USAGE + '\n'); return EXIT.ok; }
    if (positionals.length !== 1) throw new UsageError(`virgo report takes one RESULTS.jsonl file.\n\n${USAGE}`);
    file = positionals[0];
    json = values.json ?? false;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`virgo: ${e.message}\n`);
    return EXIT.badInput;
  }

  let text: string;
  try {
    text = await readResultsText(file);
  } catch (e) {
    process.stderr.write(`virgo: ${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).\n`);
    return EXIT.badInput;
  }
  const parsed = parseResults(text);
  if (parsed.lines.length === 0) {
    process.stderr.write(`virgo: ${file}: no result lines. Write some with \`virgo batch DATA.jsonl --out ${file}\`.\n`);
    return EXIT.badInput;
  }
  if (parsed.badLines.length > 0) {
    process.stderr.write(`virgo: ${file}: skipped ${parsed.badLines.length} line(s) that are not results (first: line ${parsed.badLines[0]}).\n`);
  }
  if (parsed.partialTail) process.stderr.write(`virgo: ${file}: the last line is cut short (a run was interrupted); it is left out.\n`);
  const report = buildReport(parsed.lines.map((l) => l.result));
  if (json) printJson(report);
  else process.stdout.write(formatReport(report, basename(file)) + '\n');
  return EXIT.ok;
}
