/**
 * Agentry's client SDK for execution services (`agentry/sdk`):
 *
 *   const sync = new ConfigSync({ baseUrl, apiKey, cacheFile: '/var/cache/agentry.json' });
 *   await sync.start();
 *   const config = sync.get('support', 'production');
 */
export { ConfigSync } from './config-sync';
export type { ConfigSyncOptions } from './config-sync';
export type { ChangeEvent, ConfigChange, ResolvedConfig, SyncedAgent } from './types';
