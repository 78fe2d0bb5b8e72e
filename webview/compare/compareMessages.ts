import type { CompareToHost, HostToCompare } from '../../protocol/compare';

/** What the compare page needs from the host; tests pass a fake. */
export interface CompareHost {
  post(message: CompareToHost): void;
}

/** Every host message type: a Record, so a type added to the protocol but not here fails to compile. */
const HOST_TYPES: Record<HostToCompare['type'], true> = {
  init: true, status: true, progress: true, segments: true, answer: true, end: true, agreement: true,
};
const hostTypes: ReadonlySet<string> = new Set(Object.keys(HOST_TYPES));

/** Only objects with a known `type` are host messages (a stray postMessage must not throw deep in a view). */
export function isHostToCompare(data: unknown): data is HostToCompare {
  return typeof data === 'object' && data !== null && hostTypes.has((data as { type?: unknown }).type as string);
}
