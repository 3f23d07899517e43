import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadControlConfigFile, validateControlConfig } from '../../../src/control/config/control-config.js';

test('defaults: 127.0.0.1:7070, SQLite, 12 h sessions, DATABASE_URL from the environment', () => {
  const c = validateControlConfig({}, {});
  assert.deepEqual(c.listen, { host: '127.0.0.1', port: 7070 });
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.sqlitePath, './data/edgeward.sqlite');
  assert.equal(c.sessionTtlSeconds, 43200);
  assert.equal(c.bootstrapAdmin.email, 'admin@localhost');
  assert.equal(validateControlConfig({}, { DATABASE_URL: 'postgres://db/x' }).databaseUrl, 'postgres://db/x');
  assert.equal(validateControlConfig({ sessionTtl: '30m' }, {}).sessionTtlSeconds, 1800);
});

test('every bad setting is refused naming its field', () => {
  const cases: [unknown, string][] = [
    [{ listen: 'nowhere' }, 'listen'],
    [{ databaseUrl: 'mysql://x' }, 'databaseUrl'],
    [{ publicUrl: 'ftp://x' }, 'publicUrl'],
    [{ originAllowList: ['127.0.0.1', 'not a host!'] }, 'originAllowList[1]'],
    [{ hostnameVerification: { httpPort: 70000 } }, 'hostnameVerification.httpPort'],
    [{ hostnameVerification: { dnsEnabled: 'yes' } }, 'hostnameVerification.dnsEnabled'],
    [{ hostnameVerification: { dnsServers: ['not an address'] } }, 'hostnameVerification.dnsServers[0]'],
    [{ hostnameVerification: { dnsServers: '1.1.1.1' } }, 'hostnameVerification.dnsServers'],
    [{ hostnameVerification: { colour: 1 } }, 'hostnameVerification.colour'],
    [{ sessionTtl: 'forever' }, 'sessionTtl'],
    [{ rateLimits: { loginPerMinute: 0 } }, 'rateLimits.loginPerMinute'],
    [{ bootstrapAdmin: { email: 'nope' } }, 'bootstrapAdmin.email'],
    [{ listn: '1' }, 'listn'],
  ];
  for (const [raw, field] of cases)
    assert.throws(
      () => validateControlConfig(raw, {}),
      { code: 'invalid_config', field },
      JSON.stringify(raw),
    );
  assert.throws(() => validateControlConfig({}, { DATABASE_URL: 'sqlite://x' }), { field: 'DATABASE_URL' });
});

test('control.yaml is read from a file; YAML errors name the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'edgeward-cfg-'));
  try {
    const p = join(dir, 'control.yaml');
    await writeFile(
      p,
      'listen: 127.0.0.1:7071\noriginAllowList: [127.0.0.1, "10.0.0.0/8", origin.internal]\n',
    );
    const c = await loadControlConfigFile(p, {});
    assert.equal(c.listen.port, 7071);
    assert.deepEqual(c.originAllowList.entries, ['127.0.0.1', '10.0.0.0/8', 'origin.internal']);
    await writeFile(p, 'listen: [\n');
    await assert.rejects(loadControlConfigFile(p, {}), { code: 'invalid_config', field: 'config' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
