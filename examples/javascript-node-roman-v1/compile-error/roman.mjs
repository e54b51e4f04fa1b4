export function toRoman(n) {
  return 'I'.repeat(n;
}

export function fromRoman(text) {
  return text.length;
}
