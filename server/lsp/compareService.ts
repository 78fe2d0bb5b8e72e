import type { Connection } from 'vscode-languageserver/node';
import { ResponseError, ErrorCodes } from 'vscode-languageserver/node';
import type { CompareSamplesParams, CompareSamplesResult } from '../../protocol/compare';
import * as lsp from '../../protocol/lsp';
import type { Segment } from '../../protocol/thought';
import { findDivergence, groupAnswers } from '../eval/sampleAgreement';

/**
 * "Sample N times": how N traces of one question agree. The answer matching (LaTeX normalizing,
 * numeric tolerance) lives in the server with the rest of the evaluation code, so the extension
 * host stays light and the CLI could report the same numbers.
 */
export function compareSamples(p: CompareSamplesParams): CompareSamplesResult {
  if (!Array.isArray(p?.boxed) || !p.boxed.every(isStringList)) throw new TypeError('boxed must be a list of string lists, one per sample');
  if (!Array.isArray(p.traces) || !p.traces.every(isSegmentList)) throw new TypeError('traces must be a list of segment lists, one per sample');
  if (p.traces.length !== p.boxed.length) throw new TypeError(`boxed has ${p.boxed.length} samples but traces has ${p.traces.length}`);
  return { agreement: groupAnswers(p.boxed), divergence: findDivergence(p.traces) };
}

function isStringList(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((s) => typeof s === 'string');
}

function isSegmentList(x: unknown): x is Segment[] {
  return Array.isArray(x) && x.every((s) => typeof s === 'object' && s !== null && typeof (s as Segment).text === 'string' && typeof (s as Segment).phase === 'string');
}

/** Registers `virgo/compareSamples`; malformed params answer InvalidParams with what is wrong. */
export function registerCompareService(connection: Connection): void {
  connection.onRequest(lsp.compareSamples, (p) => {
    try {
      return compareSamples(p);
    } catch (e) {
      if (e instanceof TypeError) throw new ResponseError(ErrorCodes.InvalidParams, e.message);
      throw e;
    }
  });
}
