import { toRunConfig, withSecretsFrom } from './run-config';

describe('toRunConfig', () => {
  it('offers the built-in tools named, and no tool for a name of an Object member', () => {
    const config = toRunConfig({
      tools: ['calculator', 'constructor', 'toString', '__proto__', { name: 'odd', builtin: 'valueOf' }],
    });
    expect(config.tools.map((tool) => tool.name)).toEqual(['calculator']);
  });

  it('keeps an expanded built-in tool with its own name and the built-in parameters', () => {
    const [tool] = toRunConfig({ tools: [{ name: 'calc', builtin: 'calculator' }] }).tools;
    expect(tool).toEqual(
      expect.objectContaining({
        name: 'calc',
        runner: { type: 'builtin', name: 'calculator' },
        parameters: expect.objectContaining({ required: ['expression'] }),
      }),
    );
  });
});

describe('withSecretsFrom', () => {
  const stored = {
    system_prompt: 'as stored',
    model: {
      name: 'm',
      provider: 'openai',
      model: 'a',
      base_url: 'https://one.example/v1',
      api_key: '****1111',
    },
    tools: [
      'calculator',
      {
        name: 'search',
        http: {
          url: 'https://search.example/q',
          headers: { 'X-Key': { secret: '****2222' }, 'X-Plain': 'p' },
        },
      },
    ],
    knowledge: {
      name: 'k',
      http_retrieval: { url: 'https://kb.example/r', headers: { Auth: { secret: '****3333' } } },
    },
  };
  const revealed = {
    system_prompt: 'changed since',
    model: {
      name: 'm',
      provider: 'openai',
      model: 'b',
      base_url: 'https://one.example/v1',
      api_key: 'sk-1111',
    },
    tools: [
      'calculator',
      {
        name: 'search',
        http: { url: 'https://search.example/q', headers: { 'X-Key': 'key-2222', 'X-Plain': 'changed' } },
      },
    ],
    knowledge: { name: 'k', http_retrieval: { url: 'https://kb.example/r', headers: { Auth: 'kb-3333' } } },
  };

  it('puts back the secrets and nothing else', () => {
    expect(withSecretsFrom(stored, revealed)).toEqual({
      ...stored,
      model: { ...stored.model, api_key: 'sk-1111' },
      tools: [
        'calculator',
        {
          name: 'search',
          http: { url: 'https://search.example/q', headers: { 'X-Key': 'key-2222', 'X-Plain': 'p' } },
        },
      ],
      knowledge: { name: 'k', http_retrieval: { url: 'https://kb.example/r', headers: { Auth: 'kb-3333' } } },
    });
  });

  it('keeps the masks where the endpoint is another now', () => {
    const moved = {
      ...revealed,
      model: { ...revealed.model, base_url: 'https://elsewhere.example/v1' },
      tools: [
        'calculator',
        { ...(revealed.tools[1] as object), http: { url: 'https://other.example/q', headers: {} } },
      ],
      knowledge: {
        name: 'k',
        http_retrieval: { url: 'https://kb2.example/r', headers: { Auth: 'kb-3333' } },
      },
    };
    expect(withSecretsFrom(stored, moved)).toEqual(stored);
    expect(withSecretsFrom(stored, { tools: [] })).toEqual(stored);
  });
});
