import { RETRIEVAL_MAX_BYTES, RETRIEVAL_TOP_K, toRunConfig } from '../run-config';

describe('toRunConfig: knowledge', () => {
  it('reads an http_retrieval component, with defaults and only plain-string headers', () => {
    const config = toRunConfig({
      knowledge: {
        name: 'kb',
        type: 'knowledge',
        http_retrieval: {
          url: 'https://kb.example.com/search',
          headers: { 'X-Team': 'support', Authorization: { secret: '****abcd' } },
        },
      },
    });
    expect(config.knowledge).toBeNull();
    expect(config.retrieval).toEqual({
      url: 'https://kb.example.com/search',
      method: 'POST',
      headers: { 'X-Team': 'support' },
      top_k: RETRIEVAL_TOP_K,
      timeout_ms: 10_000,
      max_response_bytes: RETRIEVAL_MAX_BYTES,
    });
  });

  it('keeps top_k and timeout_ms, and revealed secret headers', () => {
    const config = toRunConfig({
      knowledge: {
        type: 'knowledge',
        http_retrieval: {
          url: 'https://kb.example.com/search',
          top_k: 3,
          timeout_ms: 2_500,
          headers: { Authorization: 'Bearer plain' },
        },
      },
    });
    expect(config.retrieval).toMatchObject({
      top_k: 3,
      timeout_ms: 2_500,
      headers: { Authorization: 'Bearer plain' },
    });
  });

  it('has no retrieval for static text, an unexpanded name, or no knowledge', () => {
    const statics = toRunConfig({
      knowledge: { type: 'knowledge', static_text: { documents: [{ title: 'A', content: 'one' }] } },
    });
    expect(statics).toMatchObject({ knowledge: '# A\none', retrieval: null });
    expect(toRunConfig({ knowledge: 'kb' }).retrieval).toBeNull();
    expect(toRunConfig({}).retrieval).toBeNull();
    expect(toRunConfig({ knowledge: { http_retrieval: { top_k: 2 } } }).retrieval).toBeNull();
  });
});
