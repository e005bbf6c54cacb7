/**
 * The characters each of the first few positions of a line must hold for a
 * pattern anchored with "^", read from the pattern's leading atoms: escapes
 * (\d, \[), literals, character classes, groups whose alternatives all
 * start that way, with their fixed counts ({4}). It stops at the first atom
 * of variable length. This feeds a pre-filter, so whatever it does not
 * understand (lookarounds, negated classes, the i and m flags) ends the
 * list, and an empty list comes back as undefined: "any line". Only ASCII
 * is tracked; a position holding another character passes.
 */
export function headChars(pattern: string, flags: string): Uint8Array[] | undefined {
  if (!pattern.startsWith('^') || /[im]/.test(flags)) return undefined;
  if (topLevelAlternation(pattern)) return undefined;

  const first = firstSet(pattern);
  if (first === undefined) return undefined;
  if (!first.plain) return [first.set];

  const heads: Uint8Array[] = [];
  for (let i = 1; heads.length < MAX_HEAD && i < pattern.length;) {
    const set = new Uint8Array(128);
    const end = pattern[i] === '(' ? undefined : atom(pattern, i, set);
    if (end === undefined || optional(pattern, end)) break;

    const { count, exact, next } = repeat(pattern, end);
    for (let k = 0; k < count && heads.length < MAX_HEAD; k++) heads.push(set);
    if (!exact) break;
    i = next;
  }
  return heads;
}

/** The first characters a line can start with; see headChars. */
export function firstChars(pattern: string, flags: string): Uint8Array | undefined {
  return headChars(pattern, flags)?.[0];
}

const MAX_HEAD = 12;

/**
 * The set for position 0. An optional atom adds its characters and lets the
 * next atom start too; plain is true when the first atom is a single
 * character matcher, whose followers headChars then reads.
 */
function firstSet(pattern: string): { set: Uint8Array; plain: boolean } | undefined {
  const set = new Uint8Array(128);
  for (let i = 1; i < pattern.length;) {
    const end = atom(pattern, i, set);
    if (end === undefined) return undefined;
    if (!optional(pattern, end)) return { set, plain: i === 1 && pattern[1] !== '(' };

    i = afterQuantifier(pattern, end);
  }
  return undefined;
}

/** How often the atom ending at i repeats: {n} exactly, + at least once. */
function repeat(src: string, i: number): { count: number; exact: boolean; next: number } {
  if (src[i] === '+') return { count: 1, exact: false, next: i + 1 };
  if (src[i] !== '{') return { count: 1, exact: true, next: i };
  // Outside the u flag "{ 2}" or "{3,y}" is literal text, not a count.
  if (!QUANTIFIER.test(src.slice(i))) return { count: 1, exact: false, next: i };

  const close = src.indexOf('}', i);
  const [low = '', high] = src.slice(i + 1, close).split(',');
  return { count: Number(low), exact: high === undefined, next: close + 1 };
}

function afterQuantifier(src: string, i: number): number {
  const end = src[i] === '{' ? src.indexOf('}', i) + 1 : i + 1;
  return src[end] === '?' ? end + 1 : end;
}

const DIGITS = '0123456789';
const WORD = `${DIGITS}abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_`;
const SPACE = ' \t\n\r\v\f';

/** Adds the first characters of the atom at i to set; returns where it ends. */
function atom(src: string, i: number, set: Uint8Array): number | undefined {
  const c = src[i];
  if (c === undefined || '.|)^$*+?{'.includes(c)) return undefined;
  // Sets track ASCII only; a character outside it (or half of one, with
  // the u flag) would leave an empty set that refuses every line.
  if (c.charCodeAt(0) >= 128) return undefined;
  if (c === '\\') return escape(src, i, set) ? i + 2 : undefined;
  if (c === '[') return charClass(src, i, set);
  if (c === '(') return group(src, i, set);

  add(set, c);
  return i + 1;
}

function escape(src: string, i: number, set: Uint8Array): boolean {
  const e = src[i + 1] ?? '';
  const known: Record<string, string> = { d: DIGITS, w: WORD, s: SPACE, t: '\t' };
  if (known[e] !== undefined) {
    add(set, known[e]);
    return true;
  }
  if (!/[\\/^$.*+?()[\]{}|<>"'#:,=-]/.test(e)) return false;

  add(set, e);
  return true;
}

function charClass(src: string, i: number, set: Uint8Array): number | undefined {
  if (src[i + 1] === '^') return undefined;

  let j = i + 1;
  while (j < src.length && src[j] !== ']') {
    if (src[j] === '\\') {
      // A range from an escape ([\.-9]) is not read: give up on the class.
      if (!escape(src, j, set) || (src[j + 2] === '-' && src[j + 3] !== ']')) return undefined;
      j += 2;
    } else if (src[j + 1] === '-' && src[j + 2] !== undefined && src[j + 2] !== ']') {
      for (let code = src.charCodeAt(j); code <= src.charCodeAt(j + 2); code++) {
        if (code < 128) set[code] = 1;
      }
      j += 3;
    } else {
      add(set, src[j] ?? '');
      j++;
    }
  }
  return j < src.length ? j + 1 : undefined;
}

/** A capturing or (?:) group: the union of its alternatives' first atoms. */
function group(src: string, i: number, set: Uint8Array): number | undefined {
  let start = i + 1;
  if (src.startsWith('?:', start)) start += 2;
  else if (src.startsWith('?<', start) && !'=!'.includes(src[start + 2] ?? '')) {
    start = src.indexOf('>', start) + 1;
  } else if (src[start] === '?') return undefined;

  const close = closing(src, i);
  if (close === undefined) return undefined;

  for (const alt of alternatives(src, start, close)) {
    const end = atom(src, alt, set);
    if (end === undefined || end >= close || optional(src, end)) return undefined;
  }
  return close + 1;
}

function optional(src: string, i: number): boolean {
  return src[i] === '?' || src[i] === '*' || src.startsWith('{0', i);
}

/** Index of the ")" that closes the group opening at i. */
function closing(src: string, i: number): number | undefined {
  let depth = 0;
  for (let j = i; j < src.length; j++) {
    const c = src[j];
    if (c === '\\') j++;
    else if (c === '[') j = skipClass(src, j);
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return j;
  }
  return undefined;
}

/** Start offsets of the top-level alternatives between from and to. */
function alternatives(src: string, from: number, to: number): number[] {
  const starts = [from];
  let depth = 0;
  for (let j = from; j < to; j++) {
    const c = src[j];
    if (c === '\\') j++;
    else if (c === '[') j = skipClass(src, j);
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) starts.push(j + 1);
  }
  return starts;
}

function topLevelAlternation(src: string): boolean {
  return alternatives(src, 0, src.length).length > 1;
}

function skipClass(src: string, i: number): number {
  let j = i + 1;
  while (j < src.length && src[j] !== ']') j += src[j] === '\\' ? 2 : 1;
  return j;
}

function add(set: Uint8Array, chars: string): void {
  for (const ch of chars) {
    const code = ch.charCodeAt(0);
    if (code < 128) set[code] = 1;
  }
}

/**
 * The longest run of literal characters (two or more) that every match of
 * the pattern holds, read from its top level: "]:" from
 * `\b\w+\[(?<pid>\d+)\]:`. It serves as a hint for a rule that names none,
 * so it must never be wrong: a character that repeats, an optional one, a
 * group, a class or any escape this reader does not know ends the run, and
 * patterns it cannot follow at all (top-level alternation, backreferences,
 * the i and v flags) give undefined.
 */
export function requiredLiteral(pattern: string, flags: string): string | undefined {
  if (/[iv]/.test(flags) || topLevelAlternation(pattern)) return undefined;

  let best = '';
  let run = '';
  for (let i = 0; i < pattern.length;) {
    const atom = literalAtom(pattern, i);
    if (atom === undefined) return undefined;

    const quantified = /[*+?{]/.test(pattern[atom.next] ?? '');
    if (quantified && !QUANTIFIER.test(pattern.slice(atom.next))) return undefined;
    if (atom.char !== undefined && !quantified) {
      run += atom.char;
    } else {
      if (run.length > best.length) best = run;
      run = '';
    }
    i = quantified ? afterQuantifier(pattern, atom.next) : atom.next;
  }
  if (run.length > best.length) best = run;
  return best.length >= 2 ? best : undefined;
}

const QUANTIFIER = /^(?:[*+?]|\{\d+(?:,\d*)?\})/;

/**
 * The atom at i: the character it stands for when it is one literal
 * character, and where it ends; undefined for what requiredLiteral does
 * not follow.
 */
function literalAtom(src: string, i: number): { char?: string; next: number } | undefined {
  const c = src[i] ?? '';
  if (c === '\\') {
    const e = src[i + 1] ?? '';
    if (/[\\/^$.*+?()[\]{}|<>"'#:,=-]/.test(e)) return { char: e, next: i + 2 };
    // Classes, boundaries and control escapes of two characters; \x, \u,
    // \c, \k, \p and backreferences are longer or refer elsewhere.
    return /[dDwWsSbBntrfv]/.test(e) ? { next: i + 2 } : undefined;
  }
  if (c === '[') {
    // [] and [^] match no character and any: not worth following.
    if (/^\[\^?\]/.test(src.slice(i))) return undefined;
    const end = skipClass(src, i);
    return end < src.length ? { next: end + 1 } : undefined;
  }
  if (c === '(') {
    const close = closing(src, i);
    return close === undefined ? undefined : { next: close + 1 };
  }
  if (/[.^$]/.test(c)) return { next: i + 1 };
  if (/[)|*+?{}\]]/.test(c)) return undefined;
  // Half of a character outside the BMP: with the u flag a quantifier after
  // it applies to the whole character, so neither half is sure to be there.
  if (/[\uD800-\uDFFF]/.test(c)) return { next: i + 1 };
  return { char: c, next: i + 1 };
}
