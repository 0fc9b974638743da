import { defineErrors } from '../../shared/errors/app-error';

export type AgentErrorCode =
  | 'AGENT_NOT_FOUND'
  | 'AGENT_NAME_TAKEN'
  | 'VERSION_NOT_FOUND'
  | 'LABEL_NOT_FOUND'
  | 'LABEL_RESERVED'
  | 'LABEL_PROTECTED'
  | 'TIER_LIMIT_EXCEEDED'
  | 'CONFIG_REVIEW_FAILED';

export const agentError = defineErrors<AgentErrorCode>({
  AGENT_NOT_FOUND: 404,
  AGENT_NAME_TAKEN: 409,
  VERSION_NOT_FOUND: 404,
  LABEL_NOT_FOUND: 404,
  LABEL_RESERVED: 400,
  LABEL_PROTECTED: 403,
  TIER_LIMIT_EXCEEDED: 422,
  CONFIG_REVIEW_FAILED: 422,
});
