/**
 * The slice of OData `$filter` that Graph accepts on users and groups and that the product uses:
 * `prop eq 'x'`, `startswith(prop,'x')`, `coll/any(p:p eq 'x')`, combined with and/or/parentheses.
 * String literals use OData escaping (`''` for a quote). Comparisons ignore case, as Graph does.
 */
export type FilterExpr =
  | { op: 'eq'; prop: string; value: string | boolean | null }
  | { op: 'startswith'; prop: string; value: string }
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
    if (t.value.toLowerCase() === 'startswith') {
      expect('punct', '(');
      const prop = expect('word').value;
      expect('punct', ',');
      const value = expect('str').value;
      expect('punct', ')');
      return { op: 'startswith', prop, value };
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
    expect('word', 'eq');
    const v = next();
    if (v.kind === 'str') return { op: 'eq', prop: t.value, value: v.value };
    if (isWord(v, 'null')) return { op: 'eq', prop: t.value, value: null };
    if (isWord(v, 'true') || isWord(v, 'false')) return { op: 'eq', prop: t.value, value: v.value.toLowerCase() === 'true' };
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
  return [expr.prop];
}

/** Evaluates a parsed filter against an object's properties (case-insensitive strings). */
export function matchesFilter(expr: FilterExpr, get: (prop: string) => unknown): boolean {
  switch (expr.op) {
    case 'and':
      return matchesFilter(expr.left, get) && matchesFilter(expr.right, get);
    case 'or':
      return matchesFilter(expr.left, get) || matchesFilter(expr.right, get);
    case 'startswith': {
      const v = get(expr.prop);
      return typeof v === 'string' && v.toLowerCase().startsWith(expr.value.toLowerCase());
    }
    case 'any': {
      const v = get(expr.prop);
      return Array.isArray(v) && v.some((x) => typeof x === 'string' && x.toLowerCase() === expr.value.toLowerCase());
    }
    case 'eq': {
      const v = get(expr.prop);
      if (typeof v === 'string' && typeof expr.value === 'string') return v.toLowerCase() === expr.value.toLowerCase();
      return (v ?? null) === expr.value;
    }
  }
}
