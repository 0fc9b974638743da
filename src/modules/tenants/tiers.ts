import type { TenantLimits } from '../../shared/auth/principal';

export const TIERS = ['free', 'pro', 'enterprise'] as const;
export type Tier = (typeof TIERS)[number];

/** The one table of tier limits. A tenant's `limit_overrides` replace single values of its row. */
export const TIER_LIMITS: Readonly<Record<Tier, Readonly<TenantLimits>>> = {
  free: {
    max_agents: 5,
    allowed_model_providers: ['scripted', 'openai'],
    max_tools_per_agent: 3,
    max_prompt_length: 4_000,
    max_concurrent_runs: 2,
    requests_per_minute: 120,
  },
  pro: {
    max_agents: 100,
    allowed_model_providers: ['scripted', 'openai'],
    max_tools_per_agent: 20,
    max_prompt_length: 32_000,
    max_concurrent_runs: 20,
    requests_per_minute: 1_200,
  },
  enterprise: {
    max_agents: 10_000,
    allowed_model_providers: ['scripted', 'openai'],
    max_tools_per_agent: 100,
    max_prompt_length: 200_000,
    max_concurrent_runs: 500,
    requests_per_minute: 60_000,
  },
};

export function effectiveLimits(tier: Tier, overrides: Partial<TenantLimits>): TenantLimits {
  return { ...TIER_LIMITS[tier], ...overrides };
}
