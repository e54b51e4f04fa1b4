import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fromRoman, toRoman } from '../roman.mjs';

describe('roman', () => {
  test('writes 1994 as MCMXCIV', () => {
    assert.equal(toRoman(1994), 'MCMXCIV');
  });

  test('writes 4 and 9 by subtraction', () => {
    assert.deepEqual([toRoman(4), toRoman(9), toRoman(40), toRoman(900)], ['IV', 'IX', 'XL', 'CM']);
  });

  test('reads MMXXIV as 2024', () => {
    assert.equal(fromRoman('MMXXIV'), 2024);
  });

  test('reads back every number it writes', () => {
    for (let n = 1; n < 4000; n++) assert.equal(fromRoman(toRoman(n)), n);
  });

  test('refuses numbers outside 1..3999', () => {
    assert.throws(() => toRoman(0), RangeError);
    assert.throws(() => toRoman(4000), RangeError);
  });
});
