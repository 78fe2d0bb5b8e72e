import type { Phase, ReflectionType, SegmentKind } from './thought';

/** The fields a label depends on (a closed Segment or the open segment's view). */
export interface Labelled {
  phase: Phase;
  kind: SegmentKind;
  reflection: ReflectionType | null;
}

export interface SegmentLabel {
  /** Accessible name: "Step 3", "Reflection 2, backtrack", "Solution step 1". */
  label: string;
  /** 1-based number within its series (steps, reflections and solution steps count separately). */
  ordinal: number;
  series: 'step' | 'reflection' | 'solution';
}

function seriesOf(s: Labelled): SegmentLabel['series'] {
  if (s.phase === 'solution') return 'solution';
  return s.kind === 'reflection' ? 'reflection' : 'step';
}

function text(series: SegmentLabel['series'], ordinal: number, reflection: ReflectionType | null): string {
  if (series === 'solution') return `Solution step ${ordinal}`;
  if (series === 'reflection') return `Reflection ${ordinal}, ${reflection ?? 'reflection'}`;
  return `Step ${ordinal}`;
}

/**
 * Numbers segments as they close, in order. The open segment is labelled with `peek` (what it will
 * be called once closed) without advancing the counters, so its label never jumps when it closes.
 */
export class SegmentLabeler {
  private counts = { step: 0, reflection: 0, solution: 0 };

  next(s: Labelled): SegmentLabel {
    const series = seriesOf(s);
    const ordinal = ++this.counts[series];
    return { label: text(series, ordinal, s.reflection), ordinal, series };
  }

  peek(s: Labelled): SegmentLabel {
    const series = seriesOf(s);
    const ordinal = this.counts[series] + 1;
    return { label: text(series, ordinal, s.reflection), ordinal, series };
  }

  reset(): void {
    this.counts = { step: 0, reflection: 0, solution: 0 };
  }
}
