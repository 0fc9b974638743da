import { canonicalHash } from '../../shared/canonical-json';
import { compare, Operation } from 'fast-json-patch';
import { validationFailed } from '../../shared/http/validation';
import { mergedConfigDetails } from './agent-validators';

/** Run parameters of a version; an absent key means "the model's default". */
export interface RunParameters {
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  max_steps?: number;
}

/** An inline model: a provider plus the provider's model name and any provider options. */
export interface InlineModel {
  provider: string;
  model: string;
  [option: string]: unknown;
}

/** A model component's name, or an inline model. */
export type ModelRef = string | InlineModel;

/**
 * What one version holds: everything of an agent but its name, tags and status. Every key is
 * always present (absent input becomes null, [] or {}), so two equal configurations always have
 * the same canonical hash.
 */
export interface AgentConfig {
  description: string | null;
  system_prompt: string | null;
  model: ModelRef | null;
  tools: string[];
  memory: string | null;
  knowledge: string | null;
  config: RunParameters;
  metadata: Record<string, unknown>;
}

export const AGENT_CONFIG_KEYS = [
  'description',
  'system_prompt',
  'model',
  'tools',
  'memory',
  'knowledge',
  'config',
  'metadata',
] as const satisfies ReadonlyArray<keyof AgentConfig>;

const RUN_PARAMETER_KEYS = ['temperature', 'top_p', 'max_tokens', 'max_steps'] as const;

/** Loose input: any subset of the config's fields, each possibly null. */
export type AgentConfigInput = { [K in keyof AgentConfig]?: unknown };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep copy into plain JSON values (drops class prototypes and undefined). */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The config fields of a request body (left-out ones skipped), without name, tags and note. */
export function configFieldsOf(body: object): AgentConfigInput {
  const source = body as Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  for (const key of AGENT_CONFIG_KEYS) if (source[key] !== undefined) fields[key] = source[key];
  return fields as AgentConfigInput;
}

/** Fills defaults and drops what is not part of a config; null and absent mean the same. */
export function normalizeConfig(input: AgentConfigInput): AgentConfig {
  const params: RunParameters = {};
  const rawParams = isPlainObject(input.config) ? input.config : {};
  for (const key of RUN_PARAMETER_KEYS) {
    const value = rawParams[key];
    if (typeof value === 'number') params[key] = value;
  }
  return {
    description: (input.description as string | null | undefined) ?? null,
    system_prompt: (input.system_prompt as string | null | undefined) ?? null,
    model: input.model == null ? null : plain(input.model as ModelRef),
    tools: Array.isArray(input.tools) ? [...(input.tools as string[])] : [],
    memory: (input.memory as string | null | undefined) ?? null,
    knowledge: (input.knowledge as string | null | undefined) ?? null,
    config: params,
    metadata: isPlainObject(input.metadata) ? plain(input.metadata) : {},
  };
}

/** `sha256:<hex>` of the RFC 8785 canonical JSON of the config. */
export function configHash(config: AgentConfig): string {
  return canonicalHash(config);
}

/**
 * RFC 7396 JSON Merge Patch: a key missing from the patch is unchanged, `null` removes it, an
 * object merges recursively, anything else (arrays included) replaces.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) delete result[key];
    else {
      // Defined, not assigned: a JSON key `__proto__` is data, and assigning it would set the prototype.
      const merged = applyMergePatch(Object.hasOwn(result, key) ? result[key] : undefined, value);
      Object.defineProperty(result, key, {
        value: merged,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return result;
}

/**
 * Applies a partial config (merge-patch semantics) to a stored one; a 400 when the merged
 * metadata or inline model breaks a rule each field of the patch kept on its own.
 */
export function patchConfig(current: AgentConfig, patch: AgentConfigInput): AgentConfig {
  const merged = normalizeConfig(applyMergePatch(current, plain(patch)) as AgentConfigInput);
  const details = mergedConfigDetails(merged);
  if (details.length > 0) throw validationFailed(details);
  return merged;
}

export interface ConfigDiff {
  patch: Operation[];
  changed_paths: string[];
}

/**
 * The RFC 6902 patch from one config to another, and the short list of what changed: each
 * operation's path cut before its first array index (`/tools/2` becomes `/tools`), deduplicated.
 */
export function diffConfigs(from: AgentConfig, to: AgentConfig): ConfigDiff {
  const patch = compare(from, to);
  return { patch, changed_paths: summarizePaths(patch.map((op) => op.path)) };
}

export function summarizePaths(paths: string[]): string[] {
  const summary = new Set<string>();
  for (const path of paths) {
    const segments = path.split('/').slice(1);
    const index = segments.findIndex((segment) => /^(0|[1-9]\d*|-)$/.test(segment));
    const kept = index === -1 ? segments : segments.slice(0, index);
    summary.add(`/${kept.join('/')}`);
  }
  return [...summary].sort();
}
