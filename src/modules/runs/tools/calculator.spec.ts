import { calculate } from './calculator';

describe('calculate', () => {
  it('follows precedence, parentheses, unary minus and right-associative powers', () => {
    expect(calculate('2 + 3 * 4')).toBe(14);
    expect(calculate('(2 + 3) * 4')).toBe(20);
    expect(calculate('-3 + 10 % 4')).toBe(-1);
    expect(calculate('2 ^ 3 ^ 2')).toBe(512);
    expect(calculate('1.5e2 / 3')).toBe(50);
  });

  it('refuses anything but arithmetic', () => {
    expect(() => calculate('process.exit()')).toThrow();
    expect(() => calculate('2 +')).toThrow('unexpected end');
    expect(() => calculate('(1')).toThrow('missing )');
    expect(() => calculate('1 / 0')).toThrow('finite');
  });
});
