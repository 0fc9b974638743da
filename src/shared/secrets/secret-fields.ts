import { isSealedSecret, maskOf, SealedSecret, SecretBox } from './secret-box';

type Json = unknown;

function isPlainObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The parts of a component config whose headers may hold secrets. */
const HEADER_HOLDERS = ['http', 'http_retrieval'] as const;

/**
 * Rebuilds a component config (or a component expanded into an agent's) with the sealed secrets of
 * its secret slots, a model's `api_key` and header values, replaced by what `replace` makes of them.
 * Only those slots: a value of the same shape anywhere else (a tool's parameter default, a scripted
 * reply) is the tenant's data and is kept as it is.
 */
function mapSecrets(value: Json, replace: (secret: SealedSecret, slot: 'api_key' | 'header') => Json): Json {
  if (!isPlainObject(value)) return value;
  const result: Record<string, Json> = { ...value };
  if (isSealedSecret(result.api_key)) result.api_key = replace(result.api_key, 'api_key');
  for (const holderKey of HEADER_HOLDERS) {
    const holder = result[holderKey];
    if (!isPlainObject(holder) || !isPlainObject(holder.headers)) continue;
    const headers = Object.fromEntries(
      Object.entries(holder.headers).map(([name, header]) => [
        name,
        isSealedSecret(header) ? replace(header, 'header') : header,
      ]),
    );
    result[holderKey] = { ...holder, headers };
  }
  return result;
}

/**
 * Masks every sealed secret: a model's `api_key` becomes `****abcd`, a secret header value
 * `{secret: "****abcd"}` (the shape it was given in, so a read can be written back unchanged).
 */
export function maskSecrets<T>(value: T): T {
  return mapSecrets(value, (secret, slot) =>
    slot === 'api_key' ? maskOf(secret.last4) : { secret: maskOf(secret.last4) },
  ) as T;
}

/** Every sealed secret as its plain value (headers become plain strings); `/internal` only. */
export function revealSecrets<T>(value: T, box: SecretBox): T {
  return mapSecrets(value, (secret) => box.open(secret)) as T;
}

/** Where a component's secrets sit: a model's `api_key`, and secret header values. */
function secretSlots(config: Record<string, Json>): Array<{ parent: Record<string, Json>; key: string }> {
  const slots: Array<{ parent: Record<string, Json>; key: string }> = [];
  if (config.type === 'model' && config.api_key !== undefined) slots.push({ parent: config, key: 'api_key' });
  for (const holder of HEADER_HOLDERS.map((key) => config[key])) {
    if (!isPlainObject(holder) || !isPlainObject(holder.headers)) continue;
    for (const [name, value] of Object.entries(holder.headers)) {
      if (isPlainObject(value) && 'secret' in value) slots.push({ parent: holder.headers, key: name });
    }
  }
  return slots;
}

function pathOf(config: Record<string, Json>, slot: { parent: Record<string, Json>; key: string }): string[] {
  if (slot.parent === config) return [slot.key];
  const holder =
    isPlainObject(config.http) && config.http.headers === slot.parent ? 'http' : 'http_retrieval';
  return [holder, 'headers', slot.key];
}

function at(value: Json, path: string[]): Json {
  return path.reduce<Json>((node, key) => (isPlainObject(node) ? node[key] : undefined), value);
}

export interface SealResult {
  /** The config to store: secrets sealed. */
  stored: Record<string, Json>;
  /** The same config with every secret in plain text, to compare with what is stored. */
  plain: Record<string, Json>;
  /** JSON Pointers of masks sent back where no secret is stored. */
  unknownMasks: string[];
}

/**
 * Seals the secrets of a config as PUT. A mask sent back (`****abcd` as read) keeps the secret
 * stored at that place, so a read-modify-write never overwrites a key with its mask.
 */
export function sealSecrets(
  input: Record<string, Json>,
  existing: Record<string, Json> | null,
  box: SecretBox,
): SealResult {
  const stored = JSON.parse(JSON.stringify(input)) as Record<string, Json>;
  const plain = JSON.parse(JSON.stringify(input)) as Record<string, Json>;
  const unknownMasks: string[] = [];
  const plainSlots = secretSlots(plain);
  secretSlots(stored).forEach((slot, index) => {
    const raw = slot.parent[slot.key];
    const given = isPlainObject(raw) ? (raw.secret as string) : (raw as string);
    const path = pathOf(stored, slot);
    const previous = existing ? at(existing, path) : undefined;
    let sealed: SealedSecret;
    let value: string;
    if (/^\*{4}.{0,4}$/.test(given)) {
      if (!isSealedSecret(previous) || maskOf(previous.last4) !== given) {
        unknownMasks.push(`/config/${path.join('/')}`);
        return;
      }
      sealed = previous;
      value = box.open(previous);
    } else {
      sealed = box.seal(given);
      value = given;
    }
    slot.parent[slot.key] = sealed;
    const plainSlot = plainSlots[index];
    plainSlot.parent[plainSlot.key] =
      slot.key === 'api_key' && slot.parent === stored ? value : { secret: value };
  });
  return { stored, plain, unknownMasks };
}

/** A stored config with its secrets in plain text, in the shape they were given; for comparisons only. */
export function plainSecrets(stored: Record<string, Json>, box: SecretBox): Record<string, Json> {
  return mapSecrets(stored, (secret, slot) =>
    slot === 'api_key' ? box.open(secret) : { secret: box.open(secret) },
  ) as Record<string, Json>;
}
