// The unit tests' Virgo transcript, bundled into the in-host tests by esbuild.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const TRIANGLE_TRANSCRIPT = fs.readFileSync(
  path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'transcripts', 'triangle.txt'), 'utf8');
