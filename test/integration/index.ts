// The extensionTestsPath module: VS Code loads it inside the extension host and awaits run().
// Runs every *.test.js beside it (built to dist/test/integration/) with mocha, writes the results
// to test-results/integration.json (runInHost.mjs prints the summary from it) and rejects on
// any failure, which makes the workbench exit with a non-zero code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';

interface FailureRecord {
  title: string;
  message: string;
  stack?: string;
}

export interface IntegrationResults {
  stats: { suites: number; tests: number; passes: number; pending: number; failures: number; duration?: number };
  failures: FailureRecord[];
}

/** Set by runInHost.mjs; the fallback keeps a hand-started host useful. */
function resultsFile(): string {
  return (
    process.env.VIRGO_TEST_RESULTS ?? path.resolve(__dirname, '../../../test-results/integration.json')
  );
}

function writeResults(results: IntegrationResults): void {
  const out = resultsFile();
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
}

export function run(): Promise<void> {
  // The workbench forwards the host's console as one string without applying printf-style
  // placeholders, so the reporter's '%s (%dms)' lines arrive unformatted unless formatted here.
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => console.log(format(...args));
  const mocha = new Mocha({ ui: 'tdd', timeout: 60_000, color: false, reporter: 'spec' });
  const grep = process.env.VIRGO_TEST_GREP;
  if (grep) mocha.grep(grep);
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));

  return new Promise((resolve, reject) => {
    const failures: FailureRecord[] = [];
    let runner: Mocha.Runner;
    try {
      runner = mocha.run((failed) => {
        writeResults({ stats: { ...runner.stats! }, failures });
        if (failed > 0) reject(new Error(`${failed} integration test(s) failed`));
        else if (files.length === 0) reject(new Error(`no *.test.js files in ${__dirname}`));
        else resolve();
      });
    } catch (err) {
      // A test file that throws while loading ends up here, before any test ran.
      const e = err instanceof Error ? err : new Error(String(err));
      writeResults({
        stats: { suites: 0, tests: 0, passes: 0, pending: 0, failures: 1 },
        failures: [{ title: 'loading test files', message: e.message, stack: e.stack }],
      });
      reject(e);
      return;
    }
    runner.on('fail', (test, err: Error) => {
      failures.push({ title: test.fullTitle(), message: String(err?.message ?? err), stack: err?.stack });
    });
  });
}
