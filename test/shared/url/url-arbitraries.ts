import fc from 'fast-check';

/**
 * URLs and their equivalent spellings for property tests: percent-encoded unreserved characters, hex case,
 * dot segments, host case, a trailing dot on the host, an explicit default port.
 */
const label = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);
const segment = fc.stringMatching(/^[a-zA-Z0-9._~-]{1,8}$/).filter((s) => s !== '.' && s !== '..');

export interface SimpleUrl {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly segments: readonly string[];
  readonly query: readonly (readonly [string, string])[];
}

export const simpleUrl: fc.Arbitrary<SimpleUrl> = fc.record({
  scheme: fc.constantFrom('http' as const, 'https' as const),
  host: fc.array(label, { minLength: 2, maxLength: 3 }).map((l) => l.join('.')),
  segments: fc.array(segment, { minLength: 1, maxLength: 4 }),
  query: fc.array(fc.tuple(fc.stringMatching(/^[a-z]{1,4}$/), fc.stringMatching(/^[a-z0-9]{0,4}$/)), {
    maxLength: 3,
  }),
});

export function formatSimple(u: SimpleUrl, withQuery = true): string {
  const q = withQuery && u.query.length ? '?' + u.query.map(([k, v]) => `${k}=${v}`).join('&') : '';
  return `${u.scheme}://${u.host}/${u.segments.join('/')}${q}`;
}

function respellChars(s: fc.Arbitrary<boolean>, text: string): fc.Arbitrary<string> {
  return fc
    .array(fc.tuple(s, fc.boolean()), { minLength: text.length, maxLength: text.length })
    .map((flags) =>
      [...text]
        .map((ch, i) => {
          const [encode, lower] = flags[i]!;
          if (!encode) return ch;
          const hex = ch.charCodeAt(0).toString(16).padStart(2, '0');
          return '%' + (lower ? hex.toLowerCase() : hex.toUpperCase());
        })
        .join(''),
    );
}

/** An equivalent spelling of the URL (same resource after normalization). */
export function urlSpellings(u: SimpleUrl, withQuery = true): fc.Arbitrary<string> {
  const coin = fc.boolean();
  return fc
    .record({
      hostCase: fc.array(coin, { minLength: u.host.length, maxLength: u.host.length }),
      trailingDot: coin,
      explicitPort: coin,
      schemeCase: coin,
      segs: fc.tuple(...u.segments.map((s) => respellChars(fc.boolean(), s))),
      dots: fc.array(fc.constantFrom('', './', 'zz/../', '%2e/', 'q/%2E%2e/'), {
        minLength: u.segments.length,
        maxLength: u.segments.length,
      }),
    })
    .map((r) => {
      const host =
        [...u.host].map((c, i) => (r.hostCase[i] ? c.toUpperCase() : c)).join('') +
        (r.trailingDot ? '.' : '');
      const port = r.explicitPort ? (u.scheme === 'http' ? ':80' : ':443') : '';
      const scheme = r.schemeCase ? u.scheme.toUpperCase() : u.scheme;
      const path = r.segs.map((s, i) => r.dots[i] + s).join('/');
      const q = withQuery && u.query.length ? '?' + u.query.map(([k, v]) => `${k}=${v}`).join('&') : '';
      return `${scheme}://${host}${port}/${path}${q}`;
    });
}
