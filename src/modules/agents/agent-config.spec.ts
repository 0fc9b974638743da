import { createHash } from 'node:crypto';
import {
  applyMergePatch,
  configHash,
  diffConfigs,
  normalizeConfig,
  patchConfig,
  summarizePaths,
} from './agent-config';

describe('normalizeConfig', () => {
  it('fills every key, so absent and null mean the same', () => {
    const empty = {
      description: null,
      system_prompt: null,
      model: null,
      tools: [],
      memory: null,
      knowledge: null,
      config: {},
      metadata: {},
    };
    expect(normalizeConfig({})).toEqual(empty);
    expect(normalizeConfig({ description: null, tools: null, config: null, metadata: null })).toEqual(empty);
  });

  it('keeps only the known run parameters, without nulls', () => {
    expect(normalizeConfig({ config: { temperature: 0.5, max_steps: null, extra: 1 } }).config).toEqual({
      temperature: 0.5,
    });
  });
});

describe('configHash', () => {
  it('is the SHA-256 of the RFC 8785 canonical JSON, whatever the key order', () => {
    const a = normalizeConfig({ system_prompt: 'hi', config: { temperature: 0.7, max_steps: 10 } });
    const b = normalizeConfig({ config: { max_steps: 10, temperature: 0.7 }, system_prompt: 'hi' });
    expect(configHash(a)).toBe(configHash(b));
    const canonical =
      '{"config":{"max_steps":10,"temperature":0.7},"description":null,"knowledge":null,"memory":null,' +
      '"metadata":{},"model":null,"system_prompt":"hi","tools":[]}';
    expect(configHash(a)).toBe(`sha256:${createHash('sha256').update(canonical).digest('hex')}`);
  });

  it('changes when anything in the config changes', () => {
    const a = normalizeConfig({ tools: ['a', 'b'] });
    expect(configHash(a)).not.toBe(configHash(normalizeConfig({ tools: ['b', 'a'] })));
    expect(configHash(a)).not.toBe(configHash(normalizeConfig({ tools: ['a', 'b'], memory: 'm' })));
  });
});

describe('applyMergePatch (RFC 7396)', () => {
  it('follows the RFC examples', () => {
    expect(applyMergePatch({ a: 'b' }, { a: 'c' })).toEqual({ a: 'c' });
    expect(applyMergePatch({ a: 'b' }, { b: 'c' })).toEqual({ a: 'b', b: 'c' });
    expect(applyMergePatch({ a: 'b' }, { a: null })).toEqual({});
    expect(applyMergePatch({ a: { b: 'c' } }, { a: { b: 'd', c: null } })).toEqual({ a: { b: 'd' } });
    expect(applyMergePatch({ a: [{ b: 'c' }] }, { a: [1] })).toEqual({ a: [1] });
    expect(applyMergePatch(['a', 'b'], ['c', 'd'])).toEqual(['c', 'd']);
    expect(applyMergePatch({ a: 'foo' }, 'bar')).toBe('bar');
    expect(applyMergePatch({ e: null }, { a: 1 })).toEqual({ e: null, a: 1 });
  });

  it('keeps keys named like Object members as data', () => {
    const patch = JSON.parse('{"__proto__": {"x": 1}, "constructor": {"y": 2}}') as Record<string, unknown>;
    const added = applyMergePatch({ a: 1 }, patch) as Record<string, unknown>;
    expect(Object.getPrototypeOf(added)).toBe(Object.prototype);
    expect(JSON.stringify(added)).toBe('{"a":1,"__proto__":{"x":1},"constructor":{"y":2}}');
    const merged = applyMergePatch(JSON.parse('{"__proto__": {"w": 0}}'), patch);
    expect(JSON.stringify(merged)).toBe('{"__proto__":{"w":0,"x":1},"constructor":{"y":2}}');
  });

  it('leaves the target untouched', () => {
    const target = { a: { b: 1 } };
    applyMergePatch(target, { a: { b: 2 } });
    expect(target).toEqual({ a: { b: 1 } });
  });
});

describe('patchConfig', () => {
  const current = normalizeConfig({
    description: 'd',
    system_prompt: 'p',
    tools: ['a'],
    config: { temperature: 0.7, max_steps: 5 },
    metadata: { team: 'x', keep: true },
  });

  it('changes only what the patch names; null clears, objects merge', () => {
    const next = patchConfig(current, {
      description: null,
      tools: ['b'],
      config: { temperature: null, top_p: 0.9 },
      metadata: { team: 'y' },
    });
    expect(next).toEqual({
      ...current,
      description: null,
      tools: ['b'],
      config: { max_steps: 5, top_p: 0.9 },
      metadata: { team: 'y', keep: true },
    });
  });

  it('is the same config (and hash) for an empty patch', () => {
    expect(configHash(patchConfig(current, {}))).toBe(configHash(current));
  });
});

describe('diffConfigs', () => {
  it('answers an RFC 6902 patch and the changed paths', () => {
    const from = normalizeConfig({ system_prompt: 'a', tools: ['x'], config: { temperature: 0.5 } });
    const to = normalizeConfig({ system_prompt: 'b', tools: ['x', 'y'], config: { temperature: 0.5 } });
    const diff = diffConfigs(from, to);
    expect(diff.patch).toEqual(
      expect.arrayContaining([
        { op: 'replace', path: '/system_prompt', value: 'b' },
        { op: 'add', path: '/tools/1', value: 'y' },
      ]),
    );
    expect(diff.changed_paths).toEqual(['/system_prompt', '/tools']);
    expect(diffConfigs(from, from)).toEqual({ patch: [], changed_paths: [] });
  });
});

describe('summarizePaths', () => {
  it('cuts before array indexes and deduplicates', () => {
    expect(summarizePaths(['/tools/0', '/tools/3', '/config/temperature', '/metadata/a~1b/0/c'])).toEqual([
      '/config/temperature',
      '/metadata/a~1b',
      '/tools',
    ]);
  });
});
