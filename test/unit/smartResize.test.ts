import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AspectRatioError,
  DEFAULT_MAX_PIXELS,
  DEFAULT_MIN_PIXELS,
  IMAGE_FACTOR,
  MAX_ASPECT_RATIO,
  imageTokens,
  smartResize,
} from '../../server/image/smartResize';

/**
 * [height, width, min_pixels, max_pixels, expected height, expected width]; null = Python raises.
 * Computed with the Python reference (transformers' image_processing_qwen2_vl.smart_resize, copied
 * into a throwaway script and run with CPython 3.11), not with the code under test. The rows with
 * sides 14, 42, 70 ... 182 are half-way cases, where Python's round-half-to-even and Math.round
 * disagree (70/28 = 2.5 rounds to 2, 126/28 = 4.5 to 4).
 */
const TABLE: ReadonlyArray<readonly [number, number, number, number, number | null, number | null]> = [
  [1, 1, 3136, 12845056, 56, 56],
  [10, 10, 3136, 12845056, 56, 56],
  [27, 27, 3136, 12845056, 56, 56],
  [28, 28, 3136, 12845056, 56, 56],
  [14, 14, 3136, 12845056, 56, 56],
  [14, 42, 3136, 12845056, 56, 112],
  [42, 42, 3136, 12845056, 56, 56],
  [42, 70, 3136, 12845056, 56, 56],
  [70, 70, 3136, 12845056, 56, 56],
  [70, 98, 3136, 12845056, 56, 112],
  [98, 126, 3136, 12845056, 112, 112],
  [126, 154, 3136, 12845056, 112, 168],
  [154, 182, 3136, 12845056, 168, 168],
  [56, 56, 3136, 12845056, 56, 56],
  [55, 57, 3136, 12845056, 56, 56],
  [100, 100, 3136, 12845056, 112, 112],
  [224, 224, 3136, 12845056, 224, 224],
  [480, 640, 3136, 12845056, 476, 644],
  [600, 800, 3136, 12845056, 588, 812],
  [720, 1280, 3136, 12845056, 728, 1288],
  [1080, 1920, 3136, 12845056, 1092, 1932],
  [1200, 1600, 3136, 12845056, 1204, 1596],
  [2160, 3840, 3136, 12845056, 2156, 3836],
  [3000, 4000, 3136, 12845056, 2996, 4004],
  [3024, 4032, 3136, 12845056, 3024, 4032],
  [4000, 3000, 3136, 12845056, 4004, 2996],
  [6000, 8000, 3136, 12845056, 3080, 4116],
  [8000, 6000, 3136, 12845056, 4116, 3080],
  [10000, 10000, 3136, 12845056, 3556, 3556],
  [200, 30000, 3136, 12845056, 196, 29988],
  [30000, 200, 3136, 12845056, 29988, 196],
  [1, 200, 3136, 12845056, 28, 812],
  [200, 1, 3136, 12845056, 812, 28],
  [10, 2000, 3136, 12845056, 28, 812],
  [20, 4000, 3136, 12845056, 28, 4004],
  [28, 5600, 3136, 12845056, 28, 5600],
  [50, 10000, 3136, 12845056, 56, 9996],
  [3, 600, 3136, 12845056, 28, 812],
  [5, 1000, 3136, 12845056, 28, 812],
  [64, 12800, 3136, 12845056, 56, 12796],
  [1000, 1, 3136, 12845056, null, null],
  [512, 512, 3136, 12845056, 504, 504],
  [333, 777, 3136, 12845056, 336, 784],
  [1023, 767, 3136, 12845056, 1036, 756],
  [2048, 2048, 3136, 12845056, 2044, 2044],
  [3584, 3584, 3136, 12845056, 3584, 3584],
  [3600, 3600, 3136, 12845056, 3584, 3584],
  [4096, 3072, 3136, 12845056, 4088, 3080],
  [2000, 2000, 3136, 12845056, 1988, 1988],
  [3000, 3000, 3136, 12845056, 2996, 2996],
  [14, 2800, 3136, 12845056, 28, 812],
  [100, 20000, 3136, 12845056, 112, 19992],
  [7, 1400, 3136, 12845056, 28, 812],
  [1000, 1000, 200704, 1003520, 980, 980],
  [4000, 3000, 3136, 1003520, 1148, 840],
  [3000, 4000, 3136, 1003520, 840, 1148],
  [100, 100, 200704, 1003520, 448, 448],
  [1920, 1080, 3136, 802816, 1176, 672],
  [50, 50, 3136, 3136, 56, 56],
  [8000, 6000, 3136, 65536, 280, 196],
  [30000, 200, 3136, 200000, 5460, 28],
  [1, 201, 3136, 12845056, null, null],
  [10, 2001, 3136, 12845056, null, null],
  [199, 39801, 3136, 12845056, null, null],
];

test('constants match Qwen2-VL\'s preprocessor config', () => {
  assert.equal(IMAGE_FACTOR, 28);
  assert.equal(DEFAULT_MIN_PIXELS, 56 * 56);
  assert.equal(DEFAULT_MAX_PIXELS, 16384 * 28 * 28);
  assert.equal(MAX_ASPECT_RATIO, 200);
});

test('smartResize matches the Python reference on every row of the table', () => {
  assert.ok(TABLE.length >= 30);
  for (const [h, w, min, max, eh, ew] of TABLE) {
    const label = `${h}x${w} min=${min} max=${max}`;
    if (eh === null || ew === null) {
      assert.throws(() => smartResize(h, w, min, max), AspectRatioError, label);
      continue;
    }
    assert.deepEqual(smartResize(h, w, min, max), { height: eh, width: ew }, label);
  }
});

test('defaults are the Qwen2-VL ones', () => {
  assert.deepEqual(smartResize(3000, 4000), { height: 2996, width: 4004 });
  assert.deepEqual(smartResize(6000, 8000), smartResize(6000, 8000, DEFAULT_MIN_PIXELS, DEFAULT_MAX_PIXELS, 28));
});

test('results are multiples of 28 within [min, max] for a sweep of sizes', () => {
  for (let h = 1; h <= 3000; h += 37) {
    for (let w = 1; w <= 9000; w += 211) {
      if (Math.max(h, w) / Math.min(h, w) > 200) continue;
      const r = smartResize(h, w);
      assert.equal(r.height % 28, 0);
      assert.equal(r.width % 28, 0);
      assert.ok(r.height * r.width <= DEFAULT_MAX_PIXELS, `${h}x${w}`);
      assert.ok(r.height * r.width >= DEFAULT_MIN_PIXELS, `${h}x${w}`);
    }
  }
});

test('aspect ratio over 200 throws an error carrying the aspect-ratio code', () => {
  const err = (() => {
    try {
      smartResize(10, 30000);
    } catch (e) {
      return e;
    }
    return null;
  })();
  assert.ok(err instanceof AspectRatioError);
  assert.equal(err.code, 'aspect-ratio');
  assert.equal(err.ratio, 3000);
  // Exactly 200 is allowed, as in Python (the test is "> 200").
  assert.deepEqual(smartResize(10, 2000), { height: 28, width: 812 });
});

test('non-positive or fractional sizes are a programming error', () => {
  assert.throws(() => smartResize(0, 10), RangeError);
  assert.throws(() => smartResize(10.5, 10), RangeError);
});

test('imageTokens counts 28x28 blocks', () => {
  assert.equal(imageTokens(4004, 2996), 143 * 107);
  assert.equal(imageTokens(56, 56), 4);
  assert.equal(imageTokens(28, 812), 29);
});
