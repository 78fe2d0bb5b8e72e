// Answers as plain text where math cannot be rendered: inline QA's lens, inlay hint and inserted
// text (server), and the History view's rows (extension).

/** LaTeX that answers are usually written in, as plain text (a lens cannot render math). */
const TEX_SYMBOLS: Array<[RegExp, string]> = [
  [/\\(?:left|right|displaystyle|quad|qquad)\b|\\[,;!:]/g, ''],
  [/\^\{?\\circ\}?|\\degree/g, '°'],
  [/\\pi\b/g, 'π'], [/\\theta\b/g, 'θ'], [/\\alpha\b/g, 'α'], [/\\beta\b/g, 'β'], [/\\gamma\b/g, 'γ'],
  [/\\Delta\b/g, 'Δ'], [/\\lambda\b/g, 'λ'], [/\\mu\b/g, 'μ'], [/\\sigma\b/g, 'σ'], [/\\omega\b/g, 'ω'],
  [/\\times\b/g, '×'], [/\\cdot\b/g, '·'], [/\\pm\b/g, '±'], [/\\leq?\b/g, '≤'], [/\\geq?\b/g, '≥'],
  [/\\neq?\b/g, '≠'], [/\\approx\b/g, '≈'], [/\\infty\b/g, '∞'], [/\\%/g, '%'], [/\\\$/g, '$'],
  [/\^(?:2|\{2\})/g, '²'], [/\^(?:3|\{3\})/g, '³'], [/\\(?:text|mathrm|mathbf|textbf|operatorname|mbox)\{([^{}]*)\}/g, '$1'],
];

/** `\\frac{\\sqrt{3}}{2}` → `√3/2`: an answer's LaTeX as plain text, for places that cannot render math. */
export function prettyTex(tex: string): string {
  let s = tex.trim();
  for (let i = 0; i < 4; i++) {
    const before = s;
    s = s.replace(/\\sqrt\{([^{}]*)\}/g, (_, a: string) => (/^\w+$/.test(a) ? `√${a}` : `√(${a})`));
    s = s.replace(/\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}/g, (_, a: string, b: string) => `${wrap(a)}/${wrap(b)}`);
    for (const [re, to] of TEX_SYMBOLS) s = s.replace(re, to);
    if (s === before) break;
  }
  return s.replace(/[{}]/g, '').replace(/\s+/g, ' ').trim();
}

const wrap = (x: string) => (/^[\w.√]+$/.test(x) ? x : `(${x})`);
