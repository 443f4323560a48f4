/**
 * A small Bicep reader for the infra consistency tests (the Bicep CLI cannot be installed here). It understands
 * what our templates use: comments, strings with interpolation, multi-line strings, decorators, param / var /
 * resource / module / output declarations, object and array literals, `[for x in list: {...}]` loops,
 * `if (cond)` resources, and expressions (kept as text, with the literals and identifiers they contain).
 * It does not evaluate expressions; `resolve` follows plain references to vars and param defaults.
 */

export type BicepValue =
  | { kind: 'string'; value: string; interpolated: boolean }
  | { kind: 'number'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' }
  | { kind: 'object'; entries: Map<string, BicepValue> }
  | { kind: 'array'; items: BicepValue[] }
  | { kind: 'loop'; variable: string; iterable: BicepValue; body: BicepValue }
  | { kind: 'expr'; raw: string; identifiers: string[]; literals: BicepValue[] };

export type DeclarationKeyword = 'targetScope' | 'param' | 'var' | 'resource' | 'module' | 'output';

export interface BicepDeclaration {
  keyword: DeclarationKeyword;
  name: string;
  /** param/output: the type; resource: `Type@apiVersion`; module: the file path. */
  type?: string;
  existing?: boolean;
  /** Raw text of `if (...)` on a resource or module. */
  condition?: string;
  /** The value, a param's default, or undefined for a param without one. */
  value?: BicepValue;
  decorators: string[];
  line: number;
}

export interface BicepFile {
  path: string;
  declarations: BicepDeclaration[];
}

type TokenKind = 'nl' | 'string' | 'number' | 'ident' | 'punct';
interface Token {
  kind: TokenKind;
  text: string;
  /** Strings: the decoded value; interpolations are kept as `${...}` text. */
  value?: string;
  interpolated?: boolean;
  line: number;
}

export class BicepSyntaxError extends Error {
  override name = 'BicepSyntaxError';
}

const PUNCT_2 = new Set(['==', '!=', '<=', '>=', '&&', '||', '??', '?.', '=~', '!~', '::']);

/** Splits Bicep text into tokens; comments are dropped, newlines kept (they separate properties). */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const at = (k: number) => text[k] ?? '';
  while (i < text.length) {
    const c = at(i);
    if (c === '\n') {
      tokens.push({ kind: 'nl', text: '\n', line });
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '/' && at(i + 1) === '/') {
      while (i < text.length && at(i) !== '\n') i++;
    } else if (c === '/' && at(i + 1) === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new BicepSyntaxError(`line ${line}: unterminated block comment`);
      line += (text.slice(i, end).match(/\n/g) ?? []).length;
      i = end + 2;
    } else if (text.startsWith("'''", i)) {
      const end = text.indexOf("'''", i + 3);
      if (end < 0) throw new BicepSyntaxError(`line ${line}: unterminated multi-line string`);
      const value = text.slice(i + 3, end);
      tokens.push({ kind: 'string', text: text.slice(i, end + 3), value, interpolated: false, line });
      line += (value.match(/\n/g) ?? []).length;
      i = end + 3;
    } else if (c === "'") {
      const start = i;
      const startLine = line;
      let value = '';
      let interpolated = false;
      i++;
      for (;;) {
        if (i >= text.length || at(i) === '\n') throw new BicepSyntaxError(`line ${startLine}: unterminated string`);
        const d = at(i);
        if (d === '\\') {
          const e = at(i + 1);
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
          i += 2;
        } else if (d === '$' && at(i + 1) === '{') {
          interpolated = true;
          const end = interpolationEnd(text, i + 2, startLine);
          value += text.slice(i, end + 1);
          i = end + 1;
        } else if (d === "'") {
          i++;
          break;
        } else {
          value += d;
          i++;
        }
      }
      tokens.push({ kind: 'string', text: text.slice(start, i), value, interpolated, line: startLine });
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(text.slice(i));
      const t = m ? m[0] : c;
      tokens.push({ kind: 'number', text: t, line });
      i += t.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
      const t = m ? m[0] : c;
      tokens.push({ kind: 'ident', text: t, line });
      i += t.length;
    } else {
      const two = text.slice(i, i + 2);
      const t = PUNCT_2.has(two) ? two : c;
      tokens.push({ kind: 'punct', text: t, line });
      i += t.length;
    }
  }
  return tokens;
}

/** Index of the `}` closing an interpolation that starts at `from` (just after `${`). */
function interpolationEnd(text: string, from: number, line: number): number {
  let depth = 1;
  let i = from;
  while (i < text.length) {
    const c = text[i];
    if (c === "'") {
      i++;
      while (i < text.length && text[i] !== "'") i += text[i] === '\\' ? 2 : 1;
    } else if (c === '{') {
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
    i++;
  }
  throw new BicepSyntaxError(`line ${line}: unterminated interpolation`);
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  private next(): Token {
    const t = this.tokens[this.pos++];
    if (!t) throw new BicepSyntaxError('unexpected end of file');
    return t;
  }

  private expect(text: string): Token {
    const t = this.next();
    if (t.text !== text) throw new BicepSyntaxError(`line ${t.line}: expected '${text}', found '${t.text}'`);
    return t;
  }

  private skipNewlines(): void {
    while (this.peek()?.kind === 'nl') this.pos++;
  }

  file(): BicepDeclaration[] {
    const declarations: BicepDeclaration[] = [];
    let decorators: string[] = [];
    for (;;) {
      this.skipNewlines();
      const t = this.peek();
      if (!t) break;
      if (t.text === '@') {
        decorators.push(this.decorator());
        continue;
      }
      if (t.kind !== 'ident') throw new BicepSyntaxError(`line ${t.line}: unexpected '${t.text}' at top level`);
      const decl = this.declaration(decorators);
      declarations.push(decl);
      decorators = [];
    }
    return declarations;
  }

  private decorator(): string {
    this.expect('@');
    let text = this.next().text;
    if (this.peek()?.text === '(') text += this.group('(', ')');
    return text;
  }

  /** Raw text of a balanced group starting at the current opener (newlines included). */
  private group(open: string, close: string): string {
    let depth = 0;
    let text = '';
    do {
      const t = this.next();
      if (t.text === open) depth++;
      else if (t.text === close) depth--;
      text += t.kind === 'nl' ? ' ' : t.text;
    } while (depth > 0);
    return text;
  }

  private declaration(decorators: string[]): BicepDeclaration {
    const keywordToken = this.next();
    const line = keywordToken.line;
    const keyword = keywordToken.text;
    switch (keyword) {
      case 'targetScope': {
        this.expect('=');
        return { keyword, name: 'targetScope', value: this.value(), decorators, line };
      }
      case 'param': {
        const name = this.next().text;
        const type = this.typeText();
        let value: BicepValue | undefined;
        if (this.peek()?.text === '=') {
          this.next();
          value = this.value();
        }
        return { keyword, name, type, ...(value ? { value } : {}), decorators, line };
      }
      case 'output': {
        const name = this.next().text;
        const type = this.typeText();
        this.expect('=');
        return { keyword, name, type, value: this.value(), decorators, line };
      }
      case 'var': {
        const name = this.next().text;
        this.expect('=');
        return { keyword, name, value: this.value(), decorators, line };
      }
      case 'resource':
      case 'module': {
        const name = this.next().text;
        const typeToken = this.next();
        if (typeToken.kind !== 'string')
          throw new BicepSyntaxError(`line ${typeToken.line}: ${keyword} ${name} needs a quoted type`);
        let existing = false;
        if (this.peek()?.text === 'existing') {
          this.next();
          existing = true;
        }
        this.expect('=');
        let condition: string | undefined;
        if (this.peek()?.text === 'if') {
          this.next();
          condition = this.group('(', ')');
        }
        const value = this.value();
        return {
          keyword,
          name,
          type: typeToken.value ?? '',
          ...(existing ? { existing } : {}),
          ...(condition ? { condition } : {}),
          value,
          decorators,
          line,
        };
      }
      default:
        throw new BicepSyntaxError(`line ${line}: unsupported statement '${keyword}'`);
    }
  }

  /** A param/output type: an identifier, possibly followed by `[]` or `?`. */
  private typeText(): string {
    let type = this.next().text;
    while (this.peek()?.text === '[' && this.peek(1)?.text === ']') {
      this.pos += 2;
      type += '[]';
    }
    if (this.peek()?.text === '?') {
      this.next();
      type += '?';
    }
    return type;
  }

  /** A value up to the end of its line (or the closing bracket / comma of its container). */
  value(): BicepValue {
    const start = this.pos;
    const t = this.peek();
    if (!t) throw new BicepSyntaxError('expected a value at end of file');
    let primary: BicepValue | undefined;
    if (t.text === '{') primary = this.object();
    else if (t.text === '[' && this.peek(1)?.text === 'for') primary = this.loop();
    else if (t.text === '[') primary = this.array();
    else if (t.kind === 'string') {
      this.next();
      primary = { kind: 'string', value: t.value ?? '', interpolated: t.interpolated ?? false };
    } else if (t.kind === 'number') {
      this.next();
      primary = { kind: 'number', value: Number(t.text) };
    } else if (t.text === 'true' || t.text === 'false') {
      this.next();
      primary = { kind: 'bool', value: t.text === 'true' };
    } else if (t.text === 'null') {
      this.next();
      primary = { kind: 'null' };
    }
    if (primary && this.atValueEnd()) return primary;
    this.pos = start;
    return this.expression();
  }

  private atValueEnd(): boolean {
    const t = this.peek();
    return !t || t.kind === 'nl' || t.text === '}' || t.text === ']' || t.text === ',';
  }

  private expression(): BicepValue {
    const parts: string[] = [];
    const identifiers: string[] = [];
    const literals: BicepValue[] = [];
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (!t) break;
      if (depth === 0 && (t.kind === 'nl' || t.text === '}' || t.text === ']' || t.text === ',')) break;
      if (t.text === '{' || (t.text === '[' && !this.indexesPrevious())) {
        // Parsed as literals (not via value()): the expression goes on after them, e.g. `c ? [] : [ {...} ]`.
        const literal = t.text === '{' ? this.object() : this.peek(1)?.text === 'for' ? this.loop() : this.array();
        literals.push(literal);
        parts.push(t.text === '{' ? '{…}' : '[…]');
        continue;
      }
      this.next();
      if (t.kind === 'nl') continue;
      if (t.text === '(' || t.text === '[') depth++;
      if (t.text === ')' || t.text === ']') depth--;
      if (t.kind === 'ident' && parts[parts.length - 1] !== '.') identifiers.push(t.text);
      if (t.kind === 'string')
        literals.push({ kind: 'string', value: t.value ?? '', interpolated: t.interpolated ?? false });
      parts.push(t.text);
    }
    if (parts.length === 0) throw new BicepSyntaxError(`line ${this.peek()?.line ?? '?'}: expected a value`);
    return { kind: 'expr', raw: joinTokens(parts), identifiers, literals };
  }

  /** `x[0]` indexes the previous token; `? [` or `: [` starts an array literal. */
  private indexesPrevious(): boolean {
    const previous = this.tokens[this.pos - 1];
    return previous !== undefined && (previous.kind === 'ident' || previous.text === ')' || previous.text === ']');
  }

  private object(): BicepValue {
    this.expect('{');
    const entries = new Map<string, BicepValue>();
    for (;;) {
      while (this.peek()?.kind === 'nl' || this.peek()?.text === ',') this.pos++;
      const t = this.peek();
      if (!t) throw new BicepSyntaxError('unterminated object');
      if (t.text === '}') {
        this.next();
        return { kind: 'object', entries };
      }
      if (t.text === '@') {
        this.decorator();
        continue;
      }
      const keyToken = this.next();
      const key = keyToken.kind === 'string' ? (keyToken.value ?? '') : keyToken.text;
      this.expect(':');
      entries.set(key, this.value());
    }
  }

  private array(): BicepValue {
    this.expect('[');
    const items: BicepValue[] = [];
    for (;;) {
      while (this.peek()?.kind === 'nl' || this.peek()?.text === ',') this.pos++;
      const t = this.peek();
      if (!t) throw new BicepSyntaxError('unterminated array');
      if (t.text === ']') {
        this.next();
        return { kind: 'array', items };
      }
      items.push(this.value());
    }
  }

  private loop(): BicepValue {
    this.expect('[');
    this.expect('for');
    let variable: string;
    if (this.peek()?.text === '(') {
      variable =
        this.group('(', ')')
          .replace(/^\(|\)$/g, '')
          .split(',')[0]
          ?.trim() ?? '';
    } else {
      variable = this.next().text;
    }
    this.expect('in');
    const iterableTokens: Token[] = [];
    let depth = 0;
    for (;;) {
      const t = this.next();
      if (depth === 0 && t.text === ':') break;
      if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
      if (t.text === ')' || t.text === ']' || t.text === '}') depth--;
      iterableTokens.push(t);
    }
    const iterable = new Parser(iterableTokens).value();
    this.skipNewlines();
    if (this.peek()?.text === 'if') {
      this.next();
      this.group('(', ')');
    }
    const body = this.value();
    this.skipNewlines();
    this.expect(']');
    return { kind: 'loop', variable, iterable, body };
  }
}

function joinTokens(parts: string[]): string {
  let out = '';
  for (const p of parts) {
    const glue = out === '' || /[.([]$/.test(out) || /^[.,)\]([]/.test(p) ? '' : ' ';
    out += glue + p;
  }
  return out;
}

/** Parses one Bicep file's text. */
export function parseBicep(text: string, path = '<inline>'): BicepFile {
  return { path, declarations: new Parser(tokenize(text)).file() };
}

/** The declaration of that keyword and name, if any. */
export function declaration(file: BicepFile, keyword: DeclarationKeyword, name: string): BicepDeclaration | undefined {
  return file.declarations.find((d) => d.keyword === keyword && d.name === name);
}

/** Resources of a type (without API version), e.g. `Microsoft.Web/sites`. */
export function resourcesOfType(file: BicepFile, type: string): BicepDeclaration[] {
  return file.declarations.filter(
    (d) => d.keyword === 'resource' && d.type?.split('@')[0]?.toLowerCase() === type.toLowerCase(),
  );
}

/** The value under a dotted path of object keys; a loop is looked through to its body. */
export function property(value: BicepValue | undefined, path: string): BicepValue | undefined {
  let current = value;
  for (const key of path.split('.')) {
    while (current?.kind === 'loop') current = current.body;
    if (current?.kind !== 'object') return undefined;
    current = current.entries.get(key);
  }
  return current;
}

/** Follows a bare reference to a var (its value) or a param (its default) in the same file. */
export function resolve(
  file: BicepFile,
  value: BicepValue | undefined,
  seen = new Set<string>(),
): BicepValue | undefined {
  if (value?.kind !== 'expr' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(value.raw) || seen.has(value.raw)) return value;
  seen.add(value.raw);
  const target = declaration(file, 'var', value.raw) ?? declaration(file, 'param', value.raw);
  return target?.value ? resolve(file, target.value, seen) : value;
}

/** The literal string of a value, or undefined when it is not a plain (non-interpolated) string. */
export function literalString(value: BicepValue | undefined): string | undefined {
  return value?.kind === 'string' && !value.interpolated ? value.value : undefined;
}

/** Text of a value for messages and loose checks (expressions keep their source text). */
export function valueText(value: BicepValue | undefined): string {
  if (!value) return '';
  switch (value.kind) {
    case 'string':
      return value.value;
    case 'number':
      return String(value.value);
    case 'bool':
      return String(value.value);
    case 'null':
      return 'null';
    case 'expr':
      return value.raw;
    case 'object':
      return `{${[...value.entries].map(([k, v]) => `${k}: ${valueText(v)}`).join(', ')}}`;
    case 'array':
      return `[${value.items.map(valueText).join(', ')}]`;
    case 'loop':
      return `[for ${value.variable} in ${valueText(value.iterable)}: ${valueText(value.body)}]`;
  }
}
