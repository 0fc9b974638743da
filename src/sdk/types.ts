import type { components } from './openapi-types';

/** A resolved agent configuration as `/internal/v1/agents/:id/config` serves it. */
export type ResolvedConfig = components['schemas']['ResolvedConfigResponseDto'];
/** A change event as the change feed serves it. */
export type ChangeEvent = components['schemas']['ChangeEventResponseDto'];
type ResolvedSet = components['schemas']['ResolvedConfigSetResponseDto'];
export type ResolvedAgentEntry = ResolvedSet['agents'][number];

/** What ConfigSync keeps of one agent: its configurations by label (`latest` always). */
export interface SyncedAgent {
  agent_id: string;
  name: string;
  labels: Record<string, number>;
  configs: Record<string, ResolvedConfig>;
}

export interface ConfigChange {
  /** The change event that caused it (absent after a full re-pull). */
  event?: ChangeEvent;
  agent_id?: string;
  name?: string;
  /** The change sequence now reached. */
  version: number;
  /** `stream`, `poll` or `pull`. */
  source: 'stream' | 'poll' | 'pull';
}
