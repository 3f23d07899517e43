import type { RuleHit } from '../../shared/rules/block-rule.js';

/**
 * The RFC 7725 answer for a blocked URL. It is never cached (Cache-Control: no-store): a country-scoped block
 * stored by any cache keyed without the country would leak to clients elsewhere.
 */
export interface BlockedResponse {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

export function prefersJson(accept: string | undefined): boolean {
  if (!accept) return false;
  const json = accept.indexOf('json');
  if (json < 0) return false;
  const html = accept.indexOf('html');
  return html < 0 || json < html;
}

export function blockedResponse(
  hit: RuleHit,
  url: string,
  operator: { name: string; url: string },
  json: boolean,
  cacheStatus: string,
): BlockedResponse {
  const demandedBy = hit.demandedBy || 'a rights holder';
  const scope = hit.countries === null ? 'worldwide' : hit.countries.join(', ');
  let body: string;
  let type: string;
  if (json) {
    type = 'application/json; charset=utf-8';
    body = JSON.stringify({
      status: 451,
      title: 'Unavailable For Legal Reasons',
      url,
      demandedBy,
      law: hit.law || null,
      scope: hit.countries === null ? 'worldwide' : hit.countries,
      notice: hit.notice,
      blockedBy: operator,
    });
  } else {
    type = 'text/html; charset=utf-8';
    body =
      '<!doctype html><html><head><meta charset="utf-8"><title>451 Unavailable For Legal Reasons</title></head><body>' +
      '<h1>451 Unavailable For Legal Reasons</h1>' +
      `<p>Access to <code>${escapeHtml(url)}</code> has been disabled following a legal demand by ${escapeHtml(demandedBy)}` +
      (hit.law ? ` under ${escapeHtml(hit.law)}` : '') +
      `.</p><p>Scope: ${escapeHtml(scope)}.</p>` +
      `<p>Notice: <a href="${escapeHtml(hit.notice)}">${escapeHtml(hit.notice)}</a></p>` +
      `<p>Block implemented by <a href="${escapeHtml(operator.url)}">${escapeHtml(operator.name)}</a>.</p>` +
      '</body></html>\n';
  }
  const buf = Buffer.from(body);
  return {
    headers: {
      'content-type': type,
      'content-length': String(buf.length),
      'cache-control': 'no-store',
      link: `<${encodeLinkTarget(hit.notice)}>; rel="blocked-by"`,
      vary: 'Accept',
      'cache-status': cacheStatus,
    },
    body: buf,
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A notice URL inside <...> must not be able to close the bracket or break the header. */
function encodeLinkTarget(s: string): string {
  return s.replace(/[<>\s"]/g, (c) => encodeURIComponent(c));
}
