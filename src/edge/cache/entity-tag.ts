/** Entity tags (RFC 9110 8.8.3) and their comparison functions (8.8.3.2). */
export interface EntityTag {
  readonly weak: boolean;
  /** The opaque-tag without its quotes (an unquoted, non-conforming tag is kept whole). */
  readonly opaque: string;
}

export function parseEntityTag(raw: string): EntityTag | undefined {
  let s = raw.trim();
  let weak = false;
  if (s.startsWith('W/')) {
    weak = true;
    s = s.slice(2);
  }
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) return { weak, opaque: s.slice(1, -1) };
  // Some origins send unquoted tags; compare them as they are rather than dropping validation.
  if (s.length > 0 && !s.includes('"')) return { weak, opaque: s };
  return undefined;
}

/** A comma-separated list of entity tags; commas inside quotes are part of a tag. '*' is returned as '*'. */
export function parseEntityTagList(value: string): EntityTag[] | '*' {
  const trimmed = value.trim();
  if (trimmed === '*') return '*';
  const out: EntityTag[] = [];
  const n = value.length;
  let i = 0;
  while (i < n) {
    while (i < n && (value[i] === ' ' || value[i] === '\t' || value[i] === ',')) i++;
    if (i >= n) break;
    const start = i;
    if (value.startsWith('W/', i)) i += 2;
    if (value[i] === '"') {
      const close = value.indexOf('"', i + 1);
      i = close === -1 ? n : close + 1;
    } else {
      while (i < n && value[i] !== ',') i++;
    }
    const tag = parseEntityTag(value.slice(start, i));
    if (tag !== undefined) out.push(tag);
    while (i < n && value[i] !== ',') i++;
  }
  return out;
}

export function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

export function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}
