import type { ErrorDetail } from '../../shared/errors/app-error';
import type { TenantLimits } from '../../shared/auth/principal';
import type { AgentConfig } from './agent-config';
import { agentError } from './agents.errors';

export type FindingSeverity = 'error' | 'warning' | 'info';

/** One result of checking a config. Tier findings also name the limit, its value and the tier. */
export interface Finding {
  severity: FindingSeverity;
  code: string;
  /** JSON Pointer into the agent document. */
  path: string;
  message: string;
  limit?: keyof TenantLimits | 'min_tier';
  value?: unknown;
  actual?: unknown;
  tier?: string;
}

/** The tier limits a single config must respect (the agent count is checked on create). */
export function checkTierLimits(config: AgentConfig, limits: TenantLimits, tier: string): Finding[] {
  const findings: Finding[] = [];
  if (config.model !== null && typeof config.model === 'object') {
    findings.push(...checkProviderAllowed(config.model.provider, limits, tier));
  }
  if (config.tools.length > limits.max_tools_per_agent) {
    findings.push({
      severity: 'error',
      code: 'TOO_MANY_TOOLS',
      path: '/tools',
      message: `${config.tools.length} tools exceed the ${tier} tier's limit of ${limits.max_tools_per_agent} per agent`,
      limit: 'max_tools_per_agent',
      value: limits.max_tools_per_agent,
      actual: config.tools.length,
      tier,
    });
  }
  findings.push(...checkPromptLength(config.system_prompt, limits, tier));
  return findings;
}

/** The tier's allowed model providers (on an agent, or on a run of a config saved before they changed). */
export function checkProviderAllowed(provider: string, limits: TenantLimits, tier: string): Finding[] {
  if (limits.allowed_model_providers.includes(provider)) return [];
  return [
    {
      severity: 'error',
      code: 'MODEL_PROVIDER_NOT_ALLOWED',
      path: '/model/provider',
      message: `Model provider "${provider}" is not allowed on the ${tier} tier (allowed: ${limits.allowed_model_providers.join(', ') || 'none'})`,
      limit: 'allowed_model_providers',
      value: limits.allowed_model_providers,
      actual: provider,
      tier,
    },
  ];
}

/** The tier's limit on a system prompt's length (an agent's, or a fork's new one). */
export function checkPromptLength(prompt: string | null, limits: TenantLimits, tier: string): Finding[] {
  const promptLength = prompt?.length ?? 0;
  if (promptLength <= limits.max_prompt_length) return [];
  return [
    {
      severity: 'error',
      code: 'PROMPT_TOO_LONG',
      path: '/system_prompt',
      message: `The system prompt's ${promptLength} characters exceed the ${tier} tier's limit of ${limits.max_prompt_length}`,
      limit: 'max_prompt_length',
      value: limits.max_prompt_length,
      actual: promptLength,
      tier,
    },
  ];
}

/** The agent-count limit, for a tenant that holds `count` agents and wants one more. */
export function checkAgentCount(count: number, limits: TenantLimits, tier: string): Finding[] {
  if (count < limits.max_agents) return [];
  return [
    {
      severity: 'error',
      code: 'MAX_AGENTS_REACHED',
      path: '',
      message: `The tenant already has ${count} agents; the ${tier} tier allows ${limits.max_agents}`,
      limit: 'max_agents',
      value: limits.max_agents,
      actual: count,
      tier,
    },
  ];
}

/** Advice that does not block a save. */
export function adviseOn(config: AgentConfig): Finding[] {
  const findings: Finding[] = [];
  if (config.model === null) {
    findings.push({
      severity: 'warning',
      code: 'MODEL_MISSING',
      path: '/model',
      message: 'No model is set: the agent cannot run until one is',
    });
  }
  if (!config.system_prompt) {
    findings.push({
      severity: 'info',
      code: 'SYSTEM_PROMPT_EMPTY',
      path: '/system_prompt',
      message: 'No system prompt is set',
    });
  }
  return findings;
}

export function hasErrors(findings: Finding[]): boolean {
  return findings.some((finding) => finding.severity === 'error');
}

/** A 422 CONFIG_REVIEW_FAILED naming the review's error findings, when it has any. */
export function assertReviewPassed(findings: Finding[], what = 'The config'): void {
  const errors = findings.filter((finding) => finding.severity === 'error');
  if (errors.length === 0) return;
  throw agentError(
    'CONFIG_REVIEW_FAILED',
    `${what} did not pass review: ${errors.map((finding) => finding.message).join('; ')}`,
    findingsAsDetails(errors),
  );
}

/** Error findings as error-envelope details. */
export function findingsAsDetails(findings: Finding[]): ErrorDetail[] {
  return findings
    .filter((finding) => finding.severity === 'error')
    .map(({ severity: _severity, ...finding }) => ({ ...finding, field: finding.path }));
}
