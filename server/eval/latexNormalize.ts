/**
 * The canonical text of a short answer (a `\boxed{}` content or a gold answer), so that the
 * same value written two ways compares equal as text: no spaces, no sizing or spacing commands,
 * one fraction command, no units or degree signs, no math delimiters, no trailing period.
 * What is left is compared by answerMatch.ts, numerically when it is a number.
 */

/**
 * Units dropped after a value ("12 cm", "12\text{ cm}^2", "30 degrees", "6 square units").
 * Kept as data. Single letters (m, s, g, h, l) are dropped only when written as a word after a
 * number or inside \text{}, never when glued to a variable.
 */
export const UNIT_WORDS: readonly string[] = [
  'mm', 'cm', 'dm', 'm', 'km', 'in', 'inch', 'inches', 'ft', 'foot', 'feet', 'yd', 'yard', 'yards',
  'mi', 'mile', 'miles', 'meter', 'meters', 'metre', 'metres', 'centimeter', 'centimeters',
  'centimetre', 'centimetres', 'millimeter', 'millimeters', 'kilometer', 'kilometers',
  'unit', 'units', 'sq', 'square', 'cubic', 'degree', 'degrees', 'deg', 'rad', 'radian', 'radians',
  's', 'sec', 'second', 'seconds', 'min', 'minute', 'minutes', 'h', 'hr', 'hrs', 'hour', 'hours',
  'day', 'days', 'kg', 'g', 'gram', 'grams', 'mg', 'lb', 'lbs', 'pound', 'pounds',
  'l', 'ml', 'liter', 'liters', 'litre', 'litres', 'dollar', 'dollars', 'cent', 'cents', 'yuan',
];

const UNIT_SET = new Set(UNIT_WORDS);
/** An exponent after a unit: cm^2, cm^{3}, cm². */
const UNIT_POWER = String.raw`(?:\^\s*\{?\s*[23]\s*\}?|[²³])?`;
const LONG_UNITS = UNIT_WORDS.filter((u) => u.length > 1).sort((a, b) => b.length - a.length).join('|');
const SHORT_UNITS = UNIT_WORDS.filter((u) => u.length === 1).join('');
const spacedLong = new RegExp(String.raw`(\S)\s+(?:${LONG_UNITS})\.?${UNIT_POWER}\s*$`, 'i');
const spacedShort = new RegExp(String.raw`(\d%?)\s+[${SHORT_UNITS}]\.?${UNIT_POWER}\s*$`, 'i');
const glued = new RegExp(String.raw`^([-+]?[\d.,]*\d%?)(?:${LONG_UNITS})\.?${UNIT_POWER}$`, 'i');

const TEXT_COMMANDS = 'text|textrm|textup|textnormal|textit|textbf|textsf|mathrm|mathbf|mathit|mathsf|mbox|operatorname';

/** Characters that have a LaTeX spelling, mapped to it (or to nothing). */
const UNICODE: ReadonlyArray<[RegExp, string]> = [
  [/[\u2212\u2013\u2014]/g, '-'],
  [/\u00d7/g, '\\times '],
  [/[\u00b7\u22c5]/g, '\\cdot '],
  [/\u00f7/g, '/'],
  [/\u03c0/g, '\\pi '],
  [/\u221a/g, '\\sqrt'],
  [/\u221e/g, '\\infty '],
  [/\u00b0/g, '^\\circ'],
  [/\u00b2/g, '^2'],
  [/\u00b3/g, '^3'],
  [/[\u00a0\u2009\u202f]/g, ' '],
  [/\uff08/g, '('],
  [/\uff09/g, ')'],
  [/\uff0c/g, ','],
];

/** The canonical text of an answer; see the file comment. Total: never throws. */
export function canonicalAnswer(raw: string): string {
  let s = raw;
  for (const [re, to] of UNICODE) s = s.replace(re, to);
  s = stripDelimiters(s.trim());
  s = unwrapCommand(s, 'boxed');
  s = unwrapCommand(s, 'fbox');
  s = s
    .replace(/\\(?:displaystyle|textstyle|limits)(?![a-zA-Z])/g, '')
    .replace(/\\(?:left|right)\s*\./g, '')
    .replace(/\\(?:left|right|[bB]igg?[lr]?)(?![a-zA-Z])/g, '')
    .replace(/\\(?:[!,;:> ]|q?quad(?![a-zA-Z]))/g, ' ')
    .replace(/~/g, ' ')
    .replace(/\\[dtc]frac(?![a-zA-Z])/g, '\\frac')
    .replace(/\\[dt]binom(?![a-zA-Z])/g, '\\binom')
    .replace(/\\%/g, '%')
    .replace(/\\\$/g, '');
  s = dropDegrees(s);
  s = unwrapText(s);
  s = s.replace(/\$/g, '');
  s = dropUnits(s);
  s = s.replace(/\s+/g, '');
  s = s
    .replace(/\\(frac|binom)(\d)(\d)/g, '\\$1{$2}{$3}')
    .replace(/\\(frac|binom)(\d)\{/g, '\\$1{$2}{')
    .replace(/\\(frac|binom)\{([^{}]*)\}(\d)/g, '\\$1{$2}{$3}')
    .replace(/\\sqrt(\d)/g, '\\sqrt{$1}')
    .replace(/([\^_])\{([A-Za-z0-9])\}/g, '$1$2')
    .replace(/\\(?:dots|ldots|cdots)/g, '\\dots');
  s = s.replace(/[.。]+$/, '');
  s = stripOuterBraces(s);
  s = dropNamedLeftSide(s);
  return s;
}

/** `$…$`, `$$…$$`, `\(…\)`, `\[…\]` around the whole answer, as often as they nest. */
function stripDelimiters(s: string): string {
  for (;;) {
    const t = s.trim();
    const m = /^\$\$([\s\S]*)\$\$$/.exec(t) ?? /^\$([\s\S]*)\$$/.exec(t) ??
      /^\\\(([\s\S]*)\\\)$/.exec(t) ?? /^\\\[([\s\S]*)\\\]$/.exec(t);
    if (!m) return t;
    s = m[1];
  }
}

/** `\name{X}` spanning the whole text → X. */
function unwrapCommand(s: string, name: string): string {
  const open = `\\${name}{`;
  const t = s.trim();
  if (!t.startsWith(open) || !t.endsWith('}')) return t;
  const close = matchingBrace(t, open.length - 1);
  return close === t.length - 1 ? t.slice(open.length, -1).trim() : t;
}

/** Index of the `}` closing the `{` at `open`, or -1. Escaped braces do not count. */
export function matchingBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') { i++; continue; }
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

/** `^\circ`, `^{\circ}`, `\degree`, `\circ` after a value: an angle's unit, not its value. */
function dropDegrees(s: string): string {
  return s
    .replace(/\^\s*\{\s*\\circ\s*\}/g, '')
    .replace(/\^\s*\\circ(?![a-zA-Z])/g, '')
    .replace(/\\(?:degree|circ)(?![a-zA-Z])/g, '');
}

/** `\text{…}` and friends: dropped when they hold only units (with an exponent), else unwrapped. */
function unwrapText(s: string): string {
  const re = new RegExp(String.raw`\\(?:${TEXT_COMMANDS})\s*\{([^{}]*)\}(${UNIT_POWER})`, 'g');
  for (let i = 0; i < 8; i++) {
    const next = s.replace(re, (_all, inner: string, power: string) => {
      const words = inner.trim().toLowerCase().split(/[\s.]+/).filter(Boolean);
      if (words.length > 0 && words.every((w) => UNIT_SET.has(w))) return ' ';
      return ` ${inner}${power}`;
    });
    if (next === s) break;
    s = next;
  }
  return s;
}

/**
 * Unit words at the end: after a space ("12 cm", "6 square units") or glued to a number ("12cm").
 * A one-letter unit (m, s, g, h, l) is dropped only after a digit and a space ("5 m"): glued or
 * after an expression it is a variable ("2m", "\frac{1}{2} h").
 */
function dropUnits(s: string): string {
  for (let i = 0; i < 4; i++) {
    const t = s.trim();
    const next = t.replace(spacedLong, '$1').replace(spacedShort, '$1').replace(glued, '$1');
    if (next === t) return t;
    s = next;
  }
  return s.trim();
}

/** `{X}` around the whole text → X. */
function stripOuterBraces(s: string): string {
  while (s.startsWith('{') && matchingBrace(s, 0) === s.length - 1) s = s.slice(1, -1);
  return s;
}

/**
 * `x=5`, `AB=5`, `\angle ABC=30` → the right side. Only when the left side is a name (no digits,
 * short) and there is one `=`, so equations such as `x^2+y^2=1` stay whole.
 */
function dropNamedLeftSide(s: string): string {
  const m = /^([^=<>]{1,24})=([^=]+)$/.exec(s);
  if (!m || /\d/.test(m[1]) || /[<>\\]?(?:leq?|geq?|neq?)$/.test(m[1])) return s;
  if (!/^(?:\\(?:angle|triangle|overline|widehat|measuredangle|arc|overarc)|m\\angle)?[{A-Za-z}_'\\ ]+$/.test(m[1])) return s;
  return m[2];
}
