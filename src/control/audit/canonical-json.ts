/**
 * JSON with object keys sorted (by UTF-16 code units, as Array.prototype.sort does), no whitespace: the same value
 * always gives the same text, whatever order its keys were built in. Otherwise like JSON.stringify (toJSON is
 * honoured, undefined object members are omitted, undefined/functions in arrays become null, non-finite numbers
 * become null). BigInt is refused (JSON has no faithful form for it).
 */
export function canonicalJson(value: unknown): string {
  const out = serialize(value, true);
  return out === undefined ? 'null' : out;
}

function serialize(value: unknown, inArray: boolean): string | undefined {
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('canonicalJson: BigInt has no JSON form');
    case 'undefined':
    case 'function':
    case 'symbol':
      return inArray ? 'null' : undefined;
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    return `[${value.map((v) => serialize(v, true) ?? 'null').join(',')}]`;
  }
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(obj).sort()) {
    const v = serialize(obj[key], false);
    if (v !== undefined) parts.push(`${JSON.stringify(key)}:${v}`);
  }
  return `{${parts.join(',')}}`;
}
