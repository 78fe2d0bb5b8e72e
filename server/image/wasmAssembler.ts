/**
 * Just enough of a WebAssembly assembler for pixelKernels.ts: kernels are written as nested
 * expressions, `add(get(0), i32(8))` emitting the operands and then the opcode, as WebAssembly's stack
 * machine wants them. Opcodes are from the WebAssembly core and SIMD specifications (SIMD ones follow
 * the 0xfd prefix). A module imports one memory ("env", "memory") and exports its functions by name.
 */

export type Code = number[];

const uleb = (n: number): Code => {
  const out: Code = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
};

const sleb = (n: number): Code => {
  const out: Code = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
};

const vec = (items: Code[]): Code => [...uleb(items.length), ...items.flat()];
const utf8 = (s: string): Code => vec([...Buffer.from(s, 'utf8')].map((b) => [b]));
const section = (id: number, body: Code): Code => [id, ...uleb(body.length), ...body];

export const I32 = 0x7f;
export const V128 = 0x7b;

/** An operator applied to operand expressions: the operands' code, then the opcode. */
export const op =
  (...opcode: Code) =>
  (...operands: Code[]): Code => [...operands.flat(), ...opcode];
const simd = (code: number, ...immediates: Code): Code => [0xfd, ...uleb(code), ...immediates];
/** memarg: alignment hint 0 (any address), then a constant offset. */
const mem = (offset: number): Code => [0, ...uleb(offset)];

export const get = (i: number): Code => [0x20, ...uleb(i)];
export const set = (i: number, value: Code): Code => [...value, 0x21, ...uleb(i)];
export const i32 = (n: number): Code => [0x41, ...sleb(n)];
export const add = op(0x6a);
export const sub = op(0x6b);
export const mul = op(0x6c);
export const remU = op(0x70);
export const shl = op(0x74);
export const shrU = op(0x76);
export const or = op(0x72);
export const and = op(0x71);
export const ltU = op(0x49);
export const geU = op(0x4f);
export const eqz = op(0x45);
export const select = op(0x1b);
export const load8u = (addr: Code, offset = 0): Code => [...addr, 0x2d, ...mem(offset)];
export const store8 = (addr: Code, value: Code, offset = 0): Code => [...addr, ...value, 0x3a, ...mem(offset)];

export const v128load = (addr: Code, offset = 0): Code => [...addr, ...simd(0x00, ...mem(offset))];
export const load8x8u = (addr: Code, offset = 0): Code => [...addr, ...simd(0x02, ...mem(offset))];
export const v128store = (addr: Code, value: Code, offset = 0): Code => [...addr, ...value, ...simd(0x0b, ...mem(offset))];
/** Stores the low 8 bytes of a vector. */
export const store64 = (addr: Code, value: Code): Code => [...addr, ...value, ...simd(0x5b, ...mem(0), 0)];
export const v128const = (bytes: number[]): Code => simd(0x0c, ...bytes);
export const shuffle = (a: Code, b: Code, lanes: number[]): Code => [...a, ...b, ...simd(0x0d, ...lanes)];
export const i32x4splat = op(...simd(0x11));
export const lane = (v: Code, i: number): Code => [...v, ...simd(0x1b, i)];
export const vand = op(...simd(0x4e));
export const bitselect = op(...simd(0x52));
export const u8x16narrow = op(...simd(0x66));
export const i16x8le = op(...simd(0x33));
export const i16x8abs = op(...simd(0x80));
export const i16x8narrow = op(...simd(0x85));
export const i16x8lo = op(...simd(0x89));
export const i16x8hi = op(...simd(0x8a));
export const i16x8shrU = op(...simd(0x8d));
export const i16x8add = op(...simd(0x8e));
export const i16x8sub = op(...simd(0x91));
export const i16x8mul = op(...simd(0x95));
export const i16x8sumPairs = op(...simd(0x7d));
export const i32x4sumPairs = op(...simd(0x7f));
export const i32x4lo = op(...simd(0xa9));
export const i32x4hi = op(...simd(0xaa));
export const i32x4shrS = op(...simd(0xac));
export const i32x4add = op(...simd(0xae));
export const i32x4mul = op(...simd(0xb5));
export const i32x4dot = op(...simd(0xba));
export const i16x8splat = op(...simd(0x10));
export const i32x4eq = op(...simd(0x37));
export const i32x4allTrue = op(...simd(0xa3));
export const vor = op(...simd(0x50));
export const vxor = op(...simd(0x51));
export const u8x16sub = op(...simd(0x71));
export const u8x16addSat = op(...simd(0x70));
export const u8x16min = op(...simd(0x77));
export const u8x16max = op(...simd(0x79));
export const u8x16le = op(...simd(0x2a));
export const u8x16ge = op(...simd(0x2c));

export const block = (...body: Code[]): Code => [0x02, 0x40, ...body.flat(), 0x0b];
export const loop = (...body: Code[]): Code => [0x03, 0x40, ...body.flat(), 0x0b];
export const ifElse = (cond: Code, then: Code[], otherwise: Code[]): Code => [...cond, 0x04, 0x40, ...then.flat(), 0x05, ...otherwise.flat(), 0x0b];
/** while (cond) { body } */
export const whileLoop = (cond: Code, ...body: Code[]): Code =>
  block(loop([...eqz(cond), 0x0d, 1], ...body, [0x0c, 0]));
export const range = (n: number): number[] => [...Array(n).keys()];

export interface Func {
  name: string;
  params: number;
  result?: boolean;
  locals: Array<[count: number, type: number]>;
  body: Code;
}

export function assemble(funcs: Func[]): Uint8Array {
  const types = funcs.map((f) => [0x60, ...vec(range(f.params).map(() => [I32])), ...vec(f.result ? [[I32]] : [])]);
  const memoryImport = [...utf8('env'), ...utf8('memory'), 0x02, 0x00, 1];
  const exportEntries = funcs.map((f, i) => [...utf8(f.name), 0x00, ...uleb(i)]);
  const bodies = funcs.map((f) => {
    const body = [...vec(f.locals.map(([count, type]) => [...uleb(count), type])), ...f.body, 0x0b];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([memoryImport])),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(7, vec(exportEntries)),
    ...section(10, vec(bodies)),
  ]);
}

