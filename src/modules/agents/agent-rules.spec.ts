import type { TenantLimits } from '../../shared/auth/principal';
import { normalizeConfig } from './agent-config';
import { adviseOn, checkAgentCount, checkTierLimits, findingsAsDetails, hasErrors } from './agent-rules';

const limits: TenantLimits = {
  max_agents: 2,
  allowed_model_providers: ['scripted'],
  max_tools_per_agent: 2,
  max_prompt_length: 10,
  max_concurrent_runs: 1,
  requests_per_minute: 60,
};

describe('checkTierLimits', () => {
  it('passes a config within the limits (a model name is not checked against providers)', () => {
    expect(
      checkTierLimits(
        normalizeConfig({ model: 'gpt4', tools: ['a', 'b'], system_prompt: '0123456789' }),
        limits,
        'free',
      ),
    ).toEqual([]);
  });

  it('names the limit, its value and the tier for each breach', () => {
    const findings = checkTierLimits(
      normalizeConfig({
        model: { provider: 'openai', model: 'gpt-4o' },
        tools: ['a', 'b', 'c'],
        system_prompt: '01234567890',
      }),
      limits,
      'free',
    );
    expect(findings).toEqual([
      expect.objectContaining({
        code: 'MODEL_PROVIDER_NOT_ALLOWED',
        limit: 'allowed_model_providers',
        value: ['scripted'],
        actual: 'openai',
        tier: 'free',
      }),
      expect.objectContaining({
        code: 'TOO_MANY_TOOLS',
        limit: 'max_tools_per_agent',
        value: 2,
        actual: 3,
        tier: 'free',
      }),
      expect.objectContaining({
        code: 'PROMPT_TOO_LONG',
        limit: 'max_prompt_length',
        value: 10,
        actual: 11,
        tier: 'free',
      }),
    ]);
    expect(hasErrors(findings)).toBe(true);
    expect(findingsAsDetails(findings)[0]).toEqual(
      expect.objectContaining({ field: '/model/provider', limit: 'allowed_model_providers' }),
    );
  });
});

describe('checkAgentCount', () => {
  it('refuses one more agent at the limit', () => {
    expect(checkAgentCount(1, limits, 'free')).toEqual([]);
    expect(checkAgentCount(2, limits, 'free')).toEqual([
      expect.objectContaining({ code: 'MAX_AGENTS_REACHED', limit: 'max_agents', value: 2, tier: 'free' }),
    ]);
  });
});

describe('adviseOn', () => {
  it('warns about a missing model without making the config invalid', () => {
    const findings = adviseOn(normalizeConfig({}));
    expect(findings.map((finding) => finding.code)).toEqual(['MODEL_MISSING', 'SYSTEM_PROMPT_EMPTY']);
    expect(hasErrors(findings)).toBe(false);
  });
});
