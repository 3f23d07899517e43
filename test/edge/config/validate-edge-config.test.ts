import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateEdgeConfig } from '../../../src/edge/config/validate-edge-config.js';
import { loadEdgeConfigFile } from '../../../src/edge/config/load-edge-config.js';
import { parseByteSize } from '../../../src/edge/config/byte-size.js';
import { parseHostPort } from '../../../src/edge/config/host-port.js';
import { proxyConfigFromFlags } from '../../../src/edge/config/proxy-config.js';
import { edgeConfigForControl } from '../../../src/cli/commands/edge-control.js';
import { EdgewardError } from '../../../src/shared/errors.js';

const zone = (extra: Record<string, unknown> = {}) => ({
  id: 'site',
  hostnames: ['Example.COM.'],
  origins: ['http://127.0.0.1:9000/'],
  ...extra,
});

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof EdgewardError, `expected an EdgewardError, got ${String(e)}`);
    assert.equal(e.code, 'invalid_config');
    return e.field;
  }
  assert.fail('expected an invalid_config error');
}

describe('edge.yaml validation', () => {
  test('a minimal config gets defaults and normalized zones', () => {
    const c = validateEdgeConfig(
      { zones: [zone()], workers: 2, cache: { dir: 'cache', memoryBytes: '64MiB', diskBytes: '1GiB' } },
      '/srv/edge',
      {},
    );
    assert.equal(c.mode, 'edge');
    assert.deepEqual(c.listen, { host: '0.0.0.0', port: 8080 });
    assert.deepEqual(c.admin, { host: '127.0.0.1', port: 8081 });
    assert.equal(c.workers, 2);
    assert.equal(c.cache.dir, '/srv/edge/cache');
    assert.equal(c.cache.memoryBytes, 64 * 2 ** 20);
    assert.equal(c.cache.diskBytes, 2 ** 30);
    const z = c.zones[0]!;
    assert.deepEqual(z.hostnames, ['example.com']);
    assert.deepEqual(z.origins, ['http://127.0.0.1:9000']);
    assert.equal(z.state, 'active');
    assert.equal(z.cache.queryString, 'keep');
    assert.equal(c.adminToken, null);
  });

  test('errors name the exact field', () => {
    assert.equal(
      fieldOf(() =>
        validateEdgeConfig(
          { zones: [zone(), zone({ id: 'b', hostnames: ['b.example'], origins: ['ftp://x'] })] },
          '/',
          {},
        ),
      ),
      'zones[1].origins[0]',
    );
    assert.equal(
      fieldOf(() => validateEdgeConfig({ zones: [zone({ cache: { queryString: 'drop' } })] }, '/', {})),
      'zones[0].cache.queryString',
    );
    assert.equal(
      fieldOf(() =>
        validateEdgeConfig({ zones: [zone({ hostnames: ['ok.example', 'bad host'] })] }, '/', {}),
      ),
      'zones[0].hostnames[1]',
    );
    assert.equal(
      fieldOf(() => validateEdgeConfig({ zones: [] }, '/', {})),
      'zones',
    );
    assert.equal(
      fieldOf(() => validateEdgeConfig({ zones: [zone()], listen: 'nope' }, '/', {})),
      'listen',
    );
    assert.equal(
      fieldOf(() => validateEdgeConfig({ zones: [zone()], cache: { memoryBytes: '12 parsecs' } }, '/', {})),
      'cache.memoryBytes',
    );
    assert.equal(
      fieldOf(() => validateEdgeConfig({ zones: [zone()], trustProxy: ['10.0.0.0/8', 'proxy'] }, '/', {})),
      'trustProxy[1]',
    );
    assert.equal(
      fieldOf(() => validateEdgeConfig({ zones: [zone()], workers: 0 }, '/', {})),
      'workers',
    );
    assert.equal(
      fieldOf(() => validateEdgeConfig({ zones: [zone()], limits: { connectTimeoutMs: -1 } }, '/', {})),
      'limits.connectTimeoutMs',
    );
    assert.equal(
      fieldOf(() => validateEdgeConfig({ zones: [zone()], lisen: '1.2.3.4:80' }, '/', {})),
      'lisen',
    );
    assert.equal(
      fieldOf(() => validateEdgeConfig({ zones: [zone()], log: { level: 'loud' } }, '/', {})),
      'log.level',
    );
    assert.equal(
      fieldOf(() => validateEdgeConfig({ zones: [zone()], adminToken: 'short' }, '/', {})),
      'adminToken',
    );
  });

  test('cache.memoryObjectMaxBytes is a byte size; unset leaves the store default', () => {
    const c = validateEdgeConfig({ zones: [zone()], cache: { memoryObjectMaxBytes: '64KiB' } }, '/', {});
    assert.equal(c.cache.memoryObjectMaxBytes, 64 * 1024);
    assert.equal(validateEdgeConfig({ zones: [zone()] }, '/', {}).cache.memoryObjectMaxBytes, null);
    assert.equal(
      fieldOf(() => validateEdgeConfig({ zones: [zone()], cache: { memoryObjectMaxBytes: 'big' } }, '/', {})),
      'cache.memoryObjectMaxBytes',
    );
  });

  test('the removed streamThresholdBytes is refused, naming the field and its replacement', () => {
    for (const [raw, field] of [
      [{ cache: { streamThresholdBytes: '1MiB' } }, 'cache.streamThresholdBytes'],
      [{ limits: { streamThresholdBytes: '1MiB' } }, 'limits.streamThresholdBytes'],
    ] as const) {
      assert.throws(
        () => validateEdgeConfig({ zones: [zone()], ...raw }, '/', {}),
        (e: unknown) =>
          e instanceof EdgewardError &&
          e.code === 'invalid_config' &&
          e.field === field &&
          e.message.startsWith(`${field}: was removed`) &&
          e.message.includes('use cache.memoryObjectMaxBytes'),
      );
    }
  });

  test('duplicate zone ids and hostnames are refused', () => {
    assert.equal(
      fieldOf(() => validateEdgeConfig({ zones: [zone(), zone({ hostnames: ['other.example'] })] }, '/', {})),
      'zones[1].id',
    );
    assert.equal(
      fieldOf(() => validateEdgeConfig({ zones: [zone(), zone({ id: 'b' })] }, '/', {})),
      'zones[1].hostnames[0]',
    );
  });

  test('the admin token comes from EDGEWARD_ADMIN_TOKEN when the file has none', () => {
    const c = validateEdgeConfig({ zones: [zone()] }, '/', { EDGEWARD_ADMIN_TOKEN: 'x'.repeat(20) });
    assert.equal(c.adminToken, 'x'.repeat(20));
  });

  test('a YAML file is read, and a YAML syntax error names the line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgeward-config-'));
    try {
      const good = join(dir, 'edge.yaml');
      await writeFile(
        good,
        'listen: 127.0.0.1:0\nrules: rules.jsonl\nzones:\n  - id: a\n    hostnames: [a.example]\n    origins: [http://127.0.0.1:1]\n',
      );
      const c = await loadEdgeConfigFile(good, {});
      assert.equal(c.rules, join(dir, 'rules.jsonl'));
      assert.equal(c.listen.port, 0);
      const bad = join(dir, 'bad.yaml');
      await writeFile(bad, 'zones:\n  - id: a\n   hostnames: [x\n');
      await assert.rejects(
        loadEdgeConfigFile(bad, {}),
        (e: unknown) =>
          e instanceof EdgewardError && e.code === 'invalid_config' && /line \d/.test(e.message),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('byte sizes and addresses', () => {
  test('byte sizes accept units', () => {
    assert.equal(parseByteSize('256MiB', 'f'), 256 * 2 ** 20);
    assert.equal(parseByteSize('10GiB', 'f'), 10 * 2 ** 30);
    assert.equal(parseByteSize('1.5 KB', 'f'), 1500);
    assert.equal(parseByteSize(4096, 'f'), 4096);
    assert.throws(() => parseByteSize('-1', 'f'), EdgewardError);
    assert.throws(() => parseByteSize('1 XB', 'f'), EdgewardError);
  });

  test('host:port forms', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:8080', 'f'), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseHostPort('[::1]:0', 'f'), { host: '::1', port: 0 });
    assert.deepEqual(parseHostPort(':80', 'f'), { host: '0.0.0.0', port: 80 });
    assert.throws(() => parseHostPort('127.0.0.1:99999', 'f'), EdgewardError);
    assert.throws(() => parseHostPort('::1:80', 'f'), EdgewardError);
  });
});

describe('proxy mode flags', () => {
  test('build one catch-all zone', () => {
    const c = proxyConfigFromFlags(
      {
        origin: ['http://127.0.0.1:9000'],
        trustProxy: ['127.0.0.1,10.0.0.0/8'],
        workers: '3',
        memoryCache: '1MiB',
      },
      {},
      '/tmp',
    );
    assert.equal(c.mode, 'proxy');
    assert.deepEqual(c.zones[0]!.hostnames, ['*']);
    assert.deepEqual(c.trustProxy, ['127.0.0.1', '10.0.0.0/8']);
    assert.equal(c.workers, 3);
    assert.equal(c.cache.memoryBytes, 2 ** 20);
    assert.equal(c.admin, null);
  });

  test('--memory-object-max sets the memory object threshold, with the --memory-cache size syntax', () => {
    const c = proxyConfigFromFlags({ origin: ['http://a'], memoryObjectMax: '64KiB' }, {});
    assert.equal(c.cache.memoryObjectMaxBytes, 64 * 1024);
    assert.equal(
      proxyConfigFromFlags({ origin: ['http://a'], memoryObjectMax: '2MB' }, {}).cache.memoryObjectMaxBytes,
      2e6,
    );
    assert.equal(proxyConfigFromFlags({ origin: ['http://a'] }, {}).cache.memoryObjectMaxBytes, null);
    assert.equal(
      fieldOf(() => proxyConfigFromFlags({ origin: ['http://a'], memoryObjectMax: '-1' }, {})),
      '--memory-object-max',
    );
    assert.equal(
      fieldOf(() => proxyConfigFromFlags({ origin: ['http://a'], memoryObjectMax: '1 XB' }, {})),
      '--memory-object-max',
    );
  });

  test('name the bad flag', () => {
    assert.equal(
      fieldOf(() => proxyConfigFromFlags({}, {})),
      '--origin',
    );
    assert.equal(
      fieldOf(() => proxyConfigFromFlags({ origin: ['localhost:9000'] }, {})),
      '--origin',
    );
    assert.equal(
      fieldOf(() => proxyConfigFromFlags({ origin: ['http://a'], trustProxy: ['nope'] }, {})),
      '--trust-proxy[0]',
    );
    assert.equal(
      fieldOf(() => proxyConfigFromFlags({ origin: ['http://a'], diskCache: 'lots' }, {})),
      '--disk-cache',
    );
    assert.equal(
      fieldOf(() => proxyConfigFromFlags({ origin: ['http://a'], admin: 'x' }, {})),
      '--admin',
    );
  });
});

describe('control mode flags', () => {
  test('--memory-object-max overrides the config file, which overrides the default; the file needs no zones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgeward-config-'));
    try {
      const file = join(dir, 'edge.yaml');
      await writeFile(
        file,
        'cache:\n  memoryObjectMaxBytes: 128KiB\nzones:\n  - id: a\n    hostnames: [a.example]\n    origins: [http://127.0.0.1:1]\n',
      );
      const fromFile = await edgeConfigForControl({ config: file }, {}, dir);
      assert.equal(fromFile.cache.memoryObjectMaxBytes, 128 * 1024);
      const fromFlag = await edgeConfigForControl({ config: file, memoryObjectMax: '64KiB' }, {}, dir);
      assert.equal(fromFlag.cache.memoryObjectMaxBytes, 64 * 1024);
      assert.equal((await edgeConfigForControl({}, {}, dir)).cache.memoryObjectMaxBytes, null);
      // The control plane gives the zones: a file with none, only cache settings, is complete.
      const noZones = join(dir, 'no-zones.yaml');
      await writeFile(noZones, 'cache:\n  memoryObjectMaxBytes: 96KiB\n');
      assert.equal(
        (await edgeConfigForControl({ config: noZones }, {}, dir)).cache.memoryObjectMaxBytes,
        96 * 1024,
      );
      await assert.rejects(
        edgeConfigForControl({ memoryObjectMax: 'lots' }, {}, dir),
        (e: unknown) => e instanceof EdgewardError && e.field === '--memory-object-max',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
