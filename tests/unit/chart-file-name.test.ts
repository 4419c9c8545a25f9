import { describe, expect, it } from 'vitest';
import { HELM_CONFIG_NAME_LIMIT, helmChartBaseName, helmConfigToRead, helmLayerSuffix } from '../../src-main/transfer/chart-file-name.ts';

const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';
const CHART_LAYER = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const digest = (c: string): string => `sha256:${c.repeat(64)}`;

/** The base name, or the problem, for a config given as text. */
function named(config: string): string {
  const result = helmChartBaseName(Buffer.from(config), 'charts/api: config');
  return 'base' in result ? result.base : `problem: ${result.problem}`;
}

describe('helmChartBaseName', () => {
  it('is <name>-<version> from the config helm push writes', () => {
    expect(named('{"name":"api","version":"0.3.1","apiVersion":"v2","appVersion":"0.3.1"}')).toBe('api-0.3.1');
    expect(named('{"name":"ingress-nginx","version":"4.11.3+build.1","description":"d"}')).toBe('ingress-nginx-4.11.3+build.1');
  });

  it.each([
    ['a slash in the name', '{"name":"../../etc/cron.d/x","version":"1.0.0"}', 'holds a path separator'],
    ['a backslash', '{"name":"a\\\\b","version":"1.0.0"}', 'holds a path separator'],
    ['.. in the version', '{"name":"api","version":"1..2"}', 'holds ".."'],
    ['an escape sequence', '{"name":"api\\u001b[31m","version":"1.0.0"}', 'control or invisible character'],
    ['a bidi override', '{"name":"api\\u202egpj","version":"1.0.0"}', 'control or invisible character'],
    ['a name too long for a file', `{"name":"${'a'.repeat(250)}","version":"1.0.0"}`, 'longer than 255 bytes'],
  ])('refuses %s', (_what, config, why) => {
    expect(named(config)).toMatch(new RegExp(`^problem: charts/api: config: the chart's name and version .* ${why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('refuses a config that is not strict JSON or names no chart', () => {
    expect(named('{"name":"api","name":"evil","version":"1.0.0"}')).toBe('problem: charts/api: config: the key "name" appears twice in one object (line 1) at $.name');
    expect(named('{"name":"api","version":"1.0.0","__proto__":{}}')).toMatch(/^problem: .*__proto__/);
    expect(named('not json')).toMatch(/^problem: charts\/api: config is not valid JSON/);
    expect(named('{"name":"api"}')).toBe('problem: charts/api: config names no chart name and version');
    expect(named('{"name":"","version":"1.0.0"}')).toBe('problem: charts/api: config names no chart name and version');
    expect(named('{"name":"api","version":1}')).toBe('problem: charts/api: config names no chart name and version');
  });
});

describe('helmLayerSuffix and helmConfigToRead', () => {
  it('names the chart and provenance layers only', () => {
    expect(helmLayerSuffix(CHART_LAYER)).toBe('.tgz');
    expect(helmLayerSuffix('application/tar+gzip')).toBe('.tgz');
    expect(helmLayerSuffix('application/vnd.cncf.helm.chart.provenance.v1.prov')).toBe('.tgz.prov');
    expect(helmLayerSuffix('application/vnd.oci.image.layer.v1.tar+gzip')).toBeUndefined();
  });

  it('reads a Helm config only when an untitled Helm layer needs a name and the config is small', () => {
    const config = { mediaType: HELM_CONFIG, digest: digest('a'), size: 120 };
    const layer = { mediaType: CHART_LAYER, digest: digest('b'), size: 900 };
    expect(helmConfigToRead(config, [layer])).toEqual(config);
    expect(helmConfigToRead(config, [])).toBeUndefined();
    expect(helmConfigToRead(config, [{ ...layer, mediaType: 'text/plain' }])).toBeUndefined();
    expect(helmConfigToRead({ ...config, mediaType: 'application/vnd.oci.empty.v1+json' }, [layer])).toBeUndefined();
    expect(helmConfigToRead({ ...config, size: HELM_CONFIG_NAME_LIMIT + 1 }, [layer])).toBeUndefined();
    expect(helmConfigToRead(undefined, [layer])).toBeUndefined();
  });
});
