import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { Reader, type Response } from 'maxmind';
import { EdgewardError } from '../../shared/errors.js';
import { canonicalIp } from '../net/client-address.js';

/** Country of an IP address, from a MaxMind-format (mmdb) database held in memory. */
export interface CountryLookup {
  /** ISO 3166-1 alpha-2, upper-case; null when the address is not in the database (private, reserved) or invalid. */
  country(ip: string): string | null;
  /** Where the database came from (for /healthz and logs). */
  readonly source: string;
}

/** ip-location-db ships `{country_code}`; MaxMind's GeoLite2/GeoIP2 ship `{country: {iso_code}}`. */
interface CountryRecord {
  country_code?: string;
  country?: { iso_code?: string };
  registered_country?: { iso_code?: string };
}

export function bundledCountryDatabasePath(): string {
  const require = createRequire(import.meta.url);
  return require.resolve('@ip-location-db/geolite2-country-mmdb/geolite2-country.mmdb');
}

/** Opens the database at `path`, or the bundled @ip-location-db/geolite2-country-mmdb when path is null. */
export async function openCountryLookup(path: string | null): Promise<CountryLookup> {
  const source = path ?? bundledCountryDatabasePath();
  let buf: Buffer;
  try {
    buf = await readFile(source);
  } catch (e) {
    throw new EdgewardError(
      'invalid_config',
      `cannot read the GeoIP database ${source}: ${(e as Error).message}`,
      {
        field: 'geoip',
        cause: e,
      },
    );
  }
  let reader: Reader<Response>;
  try {
    // Decoded records keyed by their offset in the data section: a country database has a few hundred distinct
    // records, so this map stays tiny while sparing the per-lookup decoding (it is not an IP cache).
    const records = new Map<number, unknown>();
    reader = new Reader<Response>(buf, {
      cache: { get: (k: number) => records.get(k), set: (k: number, v: unknown) => records.set(k, v) },
    });
  } catch (e) {
    throw new EdgewardError(
      'invalid_config',
      `${source} is not a MaxMind (mmdb) database: ${(e as Error).message}`,
      {
        field: 'geoip',
        cause: e,
      },
    );
  }
  return {
    source,
    country(ipRaw: string): string | null {
      const ip = canonicalIp(ipRaw);
      if (!ip || isIP(ip) === 0) return null;
      // The library's types only know MaxMind's shapes; ip-location-db's flat record is read through CountryRecord.
      const rec = reader.get(ip) as CountryRecord | null;
      if (!rec) return null;
      const code = rec.country_code ?? rec.country?.iso_code ?? rec.registered_country?.iso_code;
      return typeof code === 'string' && code.length === 2 ? code.toUpperCase() : null;
    },
  };
}

/** Alias kept for callers of the first version. */
export const bundledCountryDatabase = bundledCountryDatabasePath;
