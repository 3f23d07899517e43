import { EdgewardError } from '../../shared/errors.js';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  kib: 2 ** 10,
  m: 1e6,
  mb: 1e6,
  mib: 2 ** 20,
  g: 1e9,
  gb: 1e9,
  gib: 2 ** 30,
  t: 1e12,
  tb: 1e12,
  tib: 2 ** 40,
};

/** '256MiB', '10GiB', '1.5GB', '4096' or a number -> bytes (integer). Throws invalid_config naming `field`. */
export function parseByteSize(value: unknown, field: string): number {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value;
  } else if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
    const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
    if (m && unit !== undefined) {
      const n = Math.floor(Number(m[1]) * unit);
      if (Number.isSafeInteger(n)) return n;
    }
  }
  throw new EdgewardError(
    'invalid_config',
    `${field} must be a byte size such as 268435456, "256MiB" or "10GiB", got ${JSON.stringify(value)}`,
    {
      field,
    },
  );
}
