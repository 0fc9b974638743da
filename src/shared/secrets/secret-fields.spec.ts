import { SecretBox } from './secret-box';
import { maskSecrets, plainSecrets, revealSecrets, sealSecrets } from './secret-fields';
import type { AppSettings } from '../settings/settings';

const box = new SecretBox({ configEncryptionKey: Buffer.alloc(32, 1), isProduction: false } as AppSettings);
const KEY = 'sk-proj-0123456789abcdefghijWXYZ';

describe('secret fields', () => {
  it('seals with AES-256-GCM: random IV each time, opens back, refuses a tampered value', () => {
    const a = box.seal(KEY);
    const b = box.seal(KEY);
    expect(a.$secret).not.toBe(b.$secret);
    expect(a.$secret).not.toContain(KEY);
    expect(box.open(a)).toBe(KEY);
    const tampered = {
      ...a,
      $secret: a.$secret.slice(0, -4) + (a.$secret.endsWith('AAAA') ? 'BBBB' : 'AAAA'),
    };
    expect(() => box.open(tampered)).toThrow();
    expect(() =>
      new SecretBox({ configEncryptionKey: Buffer.alloc(32, 2) } as AppSettings).open(a),
    ).toThrow();
  });

  it('shows no last characters of a short secret', () => {
    expect(box.seal('abc').last4).toBe('');
  });

  it('seals a model key and secret headers, masks and reveals them in place', () => {
    const input = {
      type: 'tool',
      http: { url: 'https://x', headers: { Authorization: { secret: 'Bearer token-1234' }, Plain: 'yes' } },
    };
    const { stored, unknownMasks } = sealSecrets(input, null, box);
    expect(unknownMasks).toEqual([]);
    expect(JSON.stringify(stored)).not.toContain('token-1234');
    expect(maskSecrets(stored)).toEqual({
      type: 'tool',
      http: { url: 'https://x', headers: { Authorization: { secret: '****1234' }, Plain: 'yes' } },
    });
    expect(revealSecrets(stored, box)).toEqual({
      type: 'tool',
      http: { url: 'https://x', headers: { Authorization: 'Bearer token-1234', Plain: 'yes' } },
    });
    expect(plainSecrets(stored, box)).toEqual(input);
  });

  it('keeps the stored secret when its mask is sent back, and flags a mask with nothing behind it', () => {
    const first = sealSecrets({ type: 'model', api_key: KEY }, null, box);
    expect(maskSecrets(first.stored)).toEqual({ type: 'model', api_key: '****WXYZ' });
    const again = sealSecrets({ type: 'model', api_key: '****WXYZ' }, first.stored, box);
    expect(again.stored.api_key).toEqual(first.stored.api_key);
    expect(again.plain.api_key).toBe(KEY);
    expect(sealSecrets({ type: 'model', api_key: '****WXYZ' }, null, box).unknownMasks).toEqual([
      '/config/api_key',
    ]);
  });

  it("leaves data shaped like a sealed secret outside the secret slots as the tenant's data", () => {
    const lookalike = { $secret: 'v1:not-a-secret', last4: 'abcd' };
    const tool = {
      type: 'tool',
      parameters: { type: 'object', properties: { token: { type: 'object', default: lookalike } } },
      http: { url: 'https://x', headers: { Authorization: { secret: 'Bearer token-1234' } } },
    };
    const { stored } = sealSecrets(tool, null, box);
    expect(maskSecrets(stored).parameters).toEqual(tool.parameters);
    expect(revealSecrets(stored, box).parameters).toEqual(tool.parameters);
    expect(revealSecrets(stored, box).http).toEqual({
      url: 'https://x',
      headers: { Authorization: 'Bearer token-1234' },
    });
    const model = {
      type: 'model',
      provider: 'scripted',
      replies: [{ tool_calls: [{ arguments: lookalike }] }],
    };
    expect(maskSecrets(model)).toEqual(model);
    expect(revealSecrets(model, box)).toEqual(model);
    expect(plainSecrets(model, box)).toEqual(model);
  });
});
