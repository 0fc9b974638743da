/**
 * Evaluates an arithmetic expression: numbers, + - * / % ^, unary minus, parentheses. A small
 * recursive-descent parser, so no input ever reaches `eval`.
 */
export function calculate(expression: string): number {
  const tokens = expression.match(/\d+(?:\.\d+)?(?:e[+-]?\d+)?|[-+*/%^()]|\S/gi) ?? [];
  let pos = 0;
  const peek = () => tokens[pos];
  const take = () => tokens[pos++];

  const primary = (): number => {
    const token = take();
    if (token === undefined) throw new Error('unexpected end of expression');
    if (token === '(') {
      const value = sum();
      if (take() !== ')') throw new Error('missing )');
      return value;
    }
    if (token === '-') return -primary();
    if (token === '+') return primary();
    if (!/^\d/.test(token)) throw new Error(`unexpected "${token}"`);
    return Number(token);
  };
  const power = (): number => {
    const base = primary();
    if (peek() === '^') {
      take();
      return base ** power();
    }
    return base;
  };
  const product = (): number => {
    let value = power();
    while (peek() === '*' || peek() === '/' || peek() === '%') {
      const op = take();
      const right = power();
      value = op === '*' ? value * right : op === '/' ? value / right : value % right;
    }
    return value;
  };
  const sum = (): number => {
    let value = product();
    while (peek() === '+' || peek() === '-') {
      const op = take();
      const right = product();
      value = op === '+' ? value + right : value - right;
    }
    return value;
  };

  const result = sum();
  if (pos < tokens.length) throw new Error(`unexpected "${tokens[pos]}"`);
  if (!Number.isFinite(result)) throw new Error('the result is not a finite number');
  return result;
}
