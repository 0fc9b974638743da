import { toRunConfig } from './run-config';

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
