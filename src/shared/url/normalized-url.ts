/**
 * A URL in Edgeward's one canonical spelling. The same function (normalize-url.ts) builds it for block rules,
 * purge requests and incoming requests, so no spelling trick can make a request miss a rule or a purge.
 */
export interface NormalizedUrl {
  /** 'http' or 'https'; not part of rule matching (a block applies whatever the scheme). */
  readonly scheme: 'http' | 'https';
  /** lower-case ASCII (punycode) host, no trailing dot, IPv6 in brackets; a non-default port appended as ':port'. */
  readonly host: string;
  /** starts with '/', dot segments removed, unreserved characters decoded, percent-hex upper-case. */
  readonly path: string;
  /** without the leading '?', '' when absent; same percent-encoding rules as path; parameter order kept. */
  readonly query: string;
}
