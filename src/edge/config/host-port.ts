import { isIP } from 'node:net';
import { EdgewardError } from '../../shared/errors.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** '127.0.0.1:8080', '[::1]:8080', ':8080' (all interfaces), '8080' -> {host, port}. Port 0 = any free port. */
export function parseHostPort(value: unknown, field: string): HostPort {
  const bad = (why: string): never => {
    throw new EdgewardError('invalid_config', `${field} must be HOST:PORT (e.g. 127.0.0.1:8080): ${why}`, {
      field,
    });
  };
  if (typeof value === 'number') value = String(value);
  if (typeof value !== 'string' || value.trim() === '') return bad(`got ${JSON.stringify(value)}`);
  const s = value.trim();
  let host: string;
  let portText: string;
  if (/^\d+$/.test(s)) {
    host = '0.0.0.0';
    portText = s;
  } else if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0 || s[end + 1] !== ':') return bad(`got ${JSON.stringify(s)}`);
    host = s.slice(1, end);
    portText = s.slice(end + 2);
    if (isIP(host) !== 6) return bad(`${host} is not an IPv6 address`);
  } else {
    const colon = s.lastIndexOf(':');
    if (colon < 0 || s.indexOf(':') !== colon) return bad(`got ${JSON.stringify(s)}`);
    host = s.slice(0, colon) || '0.0.0.0';
    portText = s.slice(colon + 1);
    if (!/^[A-Za-z0-9.-]+$/.test(host)) return bad(`${JSON.stringify(host)} is not a host`);
  }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) return bad(`${JSON.stringify(portText)} is not a port`);
  return { host, port };
}

export function formatHostPort(hp: HostPort): string {
  return isIP(hp.host) === 6 ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}
