const NUMERALS = [[1000, 'M'], [500, 'D'], [100, 'C'], [50, 'L'], [10, 'X'], [5, 'V'], [1, 'I']];

export function toRoman(n) {
  let out = '';
  for (const [value, symbol] of NUMERALS) {
    while (n >= value) {
      out += symbol;
      n -= value;
    }
  }
  return out;
}

export function fromRoman(text) {
  const values = Object.fromEntries(NUMERALS.map(([value, symbol]) => [symbol, value]));
  return [...text].reduce((total, symbol) => total + values[symbol], 0);
}
