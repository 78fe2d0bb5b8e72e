/**
 * The value of a canonical answer (latexNormalize.ts) when it is a closed-form number: decimals,
 * `\frac`, `a/b`, `\sqrt{}`, `\sqrt[n]{}`, `\pi`, powers, products (`\cdot`, `\times`, `*`,
 * juxtaposition as in `2\sqrt{3}`), sums, parentheses, and mixed numbers (`1\frac{1}{2}` = 1.5).
 * Anything else (a variable, a word) has no value: undefined.
 */

export interface NumericValue {
  value: number;
  /** Written with a percent sign: 50% may stand for 50 or for 0.5. */
  percent: boolean;
  /** A plain decimal literal ("3.46"): its number of decimal places; undefined for expressions. */
  decimals?: number;
  /** Involves \sqrt, \pi, a fraction or a power: an exact value that a rounded decimal may stand for. */
  exact: boolean;
}

const THOUSANDS = /^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?%?$/;
const LITERAL = /^[-+]?(?:\d+\.?\d*|\.\d+)%?$/;

export function numericValue(canonical: string): NumericValue | undefined {
  let s = canonical;
  if (THOUSANDS.test(s)) s = s.replace(/,/g, '');
  const percent = s.endsWith('%');
  if (percent) s = s.slice(0, -1);
  if (s === '') return undefined;
  if (LITERAL.test(s)) {
    const dot = s.indexOf('.');
    return { value: Number(s), percent, decimals: dot < 0 ? 0 : s.length - dot - 1, exact: false };
  }
  const parser = new ExpressionParser(s);
  const value = parser.parse();
  if (value === undefined || !Number.isFinite(value)) return undefined;
  return { value, percent, exact: true };
}

/** Recursive descent over the canonical text (no spaces). Fails with undefined, never throws. */
class ExpressionParser {
  private i = 0;
  constructor(private readonly s: string) {}

  parse(): number | undefined {
    try {
      const v = this.sum();
      return this.i === this.s.length ? v : undefined;
    } catch {
      return undefined;
    }
  }

  private sum(): number {
    let v = this.product();
    for (;;) {
      if (this.eat('+')) v += this.product();
      else if (this.eat('-')) v -= this.product();
      else return v;
    }
  }

  private product(): number {
    let v = this.unary();
    for (;;) {
      if (this.eat('*') || this.eat('\\cdot') || this.eat('\\times')) v *= this.unary();
      else if (this.eat('/') || this.eat('\\div')) v /= this.unary();
      else if (this.startsAtom()) v *= this.power();
      else return v;
    }
  }

  private unary(): number {
    if (this.eat('-')) return -this.unary();
    if (this.eat('+')) return this.unary();
    return this.power();
  }

  private power(): number {
    const base = this.atom();
    if (!this.eat('^')) return base;
    // An exponent binds one atom (`2^3`, `2^{1/2}`) or a signed one (`2^-1`, rare but seen).
    const exponent = this.eat('-') ? -this.atom() : this.atom();
    return Math.pow(base, exponent);
  }

  private startsAtom(): boolean {
    const rest = this.s.slice(this.i);
    return /^(?:[\d.({[]|\\(?:frac|sqrt|pi)(?![a-zA-Z]))/.test(rest);
  }

  private atom(): number {
    const rest = this.s.slice(this.i);
    const num = /^(?:\d+\.?\d*|\.\d+)/.exec(rest);
    if (num) {
      this.i += num[0].length;
      // A whole number followed by a proper fraction of whole numbers is a mixed number: 1\frac{1}{2}.
      const mixed = /^\\frac\{(\d+)\}\{(\d+)\}/.exec(this.s.slice(this.i));
      if (mixed && /^\d+$/.test(num[0]) && Number(mixed[1]) < Number(mixed[2])) {
        this.i += mixed[0].length;
        return Number(num[0]) + Number(mixed[1]) / Number(mixed[2]);
      }
      return Number(num[0]);
    }
    if (this.eat('\\pi')) return Math.PI;
    if (this.eat('\\frac')) {
      const top = this.group();
      return top / this.group();
    }
    if (this.eat('\\sqrt')) {
      let index = 2;
      if (this.eat('[')) {
        index = this.sum();
        this.expect(']');
      }
      const radicand = this.group();
      return index === 3 ? Math.cbrt(radicand) : Math.pow(radicand, 1 / index);
    }
    if (this.eat('(')) return this.closeWith(')');
    if (this.eat('[')) return this.closeWith(']');
    if (this.eat('{')) return this.closeWith('}');
    throw new Error('not a number');
  }

  /** `{…}`, or a bare single digit as LaTeX allows (`\frac12` was expanded by the normalizer). */
  private group(): number {
    if (this.eat('{')) return this.closeWith('}');
    return this.atom();
  }

  private closeWith(close: string): number {
    const v = this.sum();
    this.expect(close);
    return v;
  }

  private eat(token: string): boolean {
    if (!this.s.startsWith(token, this.i)) return false;
    // A command name ends where its letters end: `\pi` must not eat the start of `\pitchfork`.
    if (token.startsWith('\\') && /[a-zA-Z]/.test(this.s[this.i + token.length] ?? '')) return false;
    this.i += token.length;
    return true;
  }

  private expect(token: string): void {
    if (!this.eat(token)) throw new Error(`expected ${token}`);
  }
}
