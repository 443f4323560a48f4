/**
 * The slice of OData `$filter` that Graph accepts on users and groups and that the product uses:
 * `prop eq 'x'`, `startswith(prop,'x')`, `coll/any(p:p eq 'x')`, combined with and/or/parentheses;
 * plus the advanced-query operators `ne`, `not` and `endswith` (docs/wire.md, "Advanced queries").
 * String literals use OData escaping (`''` for a quote). Comparisons ignore case, as Graph does.
 */
export type FilterExpr =
  | { op: 'eq' | 'ne'; prop: string; value: string | boolean | null }
  | { op: 'startswith' | 'endswith'; prop: string; value: string }
  | { op: 'not'; expr: FilterExpr }
  | { op: 'any'; prop: string; value: string }
  | { op: 'and'; left: FilterExpr; right: FilterExpr }
  | { op: 'or'; left: FilterExpr; right: FilterExpr };

export class FilterSyntaxError extends Error {
  override name = 'FilterSyntaxError';
}

type Token = { kind: 'str'; value: string } | { kind: 'word'; value: string } | { kind: 'punct'; value: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new FilterSyntaxError('unterminated string literal');
        const c = text[i] as string;
        if (c === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += c;
        i++;
      }
      tokens.push({ kind: 'str', value });
    } else if ('(),:/'.includes(ch)) {
      tokens.push({ kind: 'punct', value: ch });
      i++;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i));
      if (m === null) throw new FilterSyntaxError(`unexpected character '${ch}'`);
      tokens.push({ kind: 'word', value: m[0] });
      i += m[0].length;
    }
  }
  return tokens;
}

/** Parses a `$filter` value; throws FilterSyntaxError for anything outside the supported slice. */
export function parseFilter(text: string): FilterExpr {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const next = (): Token => {
    const t = tokens[pos++];
    if (t === undefined) throw new FilterSyntaxError('unexpected end of filter');
    return t;
  };
  const expect = (kind: Token['kind'], value?: string): Token => {
    const t = next();
    if (t.kind !== kind || (value !== undefined && t.value.toLowerCase() !== value)) {
      throw new FilterSyntaxError(`expected ${value ?? kind} but found '${t.value}'`);
    }
    return t;
  };
  const isWord = (t: Token | undefined, w: string): boolean => t?.kind === 'word' && t.value.toLowerCase() === w;

  const primary = (): FilterExpr => {
    const t = next();
    if (t.kind === 'punct' && t.value === '(') {
      const inner = orExpr();
      expect('punct', ')');
      return inner;
    }
    if (t.kind !== 'word') throw new FilterSyntaxError(`unexpected '${t.value}'`);
    if (t.value.toLowerCase() === 'not') return { op: 'not', expr: primary() };
    const fn = t.value.toLowerCase();
    if (fn === 'startswith' || fn === 'endswith') {
      expect('punct', '(');
      const prop = expect('word').value;
      expect('punct', ',');
      const value = expect('str').value;
      expect('punct', ')');
      return { op: fn, prop, value };
    }
    const after = peek();
    if (after?.kind === 'punct' && after.value === '/') {
      next();
      expect('word', 'any');
      expect('punct', '(');
      const variable = expect('word').value;
      expect('punct', ':');
      expect('word', variable.toLowerCase());
      expect('word', 'eq');
      const value = expect('str').value;
      expect('punct', ')');
      return { op: 'any', prop: t.value, value };
    }
    const op = isWord(peek(), 'ne') ? 'ne' : 'eq';
    expect('word', op);
    const v = next();
    if (v.kind === 'str') return { op, prop: t.value, value: v.value };
    if (isWord(v, 'null')) return { op, prop: t.value, value: null };
    if (isWord(v, 'true') || isWord(v, 'false')) return { op, prop: t.value, value: v.value.toLowerCase() === 'true' };
    throw new FilterSyntaxError(`unsupported literal '${v.value}'`);
  };
  const andExpr = (): FilterExpr => {
    let left = primary();
    while (isWord(peek(), 'and')) {
      next();
      left = { op: 'and', left, right: primary() };
    }
    return left;
  };
  const orExpr = (): FilterExpr => {
    let left = andExpr();
    while (isWord(peek(), 'or')) {
      next();
      left = { op: 'or', left, right: andExpr() };
    }
    return left;
  };
  const expr = orExpr();
  if (pos !== tokens.length) throw new FilterSyntaxError(`unexpected '${tokens[pos]?.value ?? ''}'`);
  return expr;
}

/** Property names a filter reads (to reject unsupported ones before evaluating). */
export function filterProps(expr: FilterExpr): string[] {
  if (expr.op === 'and' || expr.op === 'or') return [...filterProps(expr.left), ...filterProps(expr.right)];
  if (expr.op === 'not') return filterProps(expr.expr);
  return [expr.prop];
}

/** Operators a filter uses (`eq`, `ne`, `not`, `startswith`, `endswith`, `any`, `and`, `or`). */
export function filterOperators(expr: FilterExpr): string[] {
  if (expr.op === 'and' || expr.op === 'or') {
    return [expr.op, ...filterOperators(expr.left), ...filterOperators(expr.right)];
  }
  if (expr.op === 'not') return ['not', ...filterOperators(expr.expr)];
  return [expr.op];
}

/** Evaluates a parsed filter against an object's properties (case-insensitive strings). */
export function matchesFilter(expr: FilterExpr, get: (prop: string) => unknown): boolean {
  switch (expr.op) {
    case 'and':
      return matchesFilter(expr.left, get) && matchesFilter(expr.right, get);
    case 'or':
      return matchesFilter(expr.left, get) || matchesFilter(expr.right, get);
    case 'not':
      return !matchesFilter(expr.expr, get);
    case 'startswith': {
      const v = get(expr.prop);
      return typeof v === 'string' && v.toLowerCase().startsWith(expr.value.toLowerCase());
    }
    case 'endswith': {
      const v = get(expr.prop);
      return typeof v === 'string' && v.toLowerCase().endsWith(expr.value.toLowerCase());
    }
    case 'any': {
      const v = get(expr.prop);
      return Array.isArray(v) && v.some((x) => typeof x === 'string' && x.toLowerCase() === expr.value.toLowerCase());
    }
    case 'eq':
    case 'ne': {
      const v = get(expr.prop);
      const equal =
        typeof v === 'string' && typeof expr.value === 'string'
          ? v.toLowerCase() === expr.value.toLowerCase()
          : (v ?? null) === expr.value;
      return expr.op === 'eq' ? equal : !equal;
    }
  }
}
