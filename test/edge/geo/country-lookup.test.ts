import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openCountryLookup } from '../../../src/edge/geo/country-lookup.js';
import { EdgewardError } from '../../../src/shared/errors.js';

test('the bundled database maps real addresses to their countries', async () => {
  const geo = await openCountryLookup(null);
  assert.equal(geo.country('133.0.0.1'), 'JP');
  assert.equal(geo.country('8.8.8.8'), 'US');
  assert.equal(geo.country('81.2.69.160'), 'GB');
  assert.equal(geo.country('2001:200::1'), 'JP');
  assert.equal(geo.country('::ffff:133.0.0.1'), 'JP');
});

test('private, loopback and invalid addresses have no country', async () => {
  const geo = await openCountryLookup(null);
  assert.equal(geo.country('127.0.0.1'), null);
  assert.equal(geo.country('10.1.2.3'), null);
  assert.equal(geo.country('not an ip'), null);
});

test('a missing database file is a config error naming the field', async () => {
  await assert.rejects(
    openCountryLookup('/nonexistent/country.mmdb'),
    (e: unknown) => e instanceof EdgewardError && e.field === 'geoip',
  );
});
