export class CachedConfigStatsDto {
  /** `<agent>@<label>` or `<agent>@v<version>`; `*all` for the full snapshot. */
  key: string;
  config_hash: string;
  access_count: number;
  created_at: string;
  last_access_at: string;
}

/** This instance's resolved-config cache, for your tenant. */
export class CacheStatsResponseDto {
  cached_configs: number;
  hits: number;
  misses: number;
  /** hits / (hits + misses); 0 before any read. */
  hit_ratio: number;
  total_access_count: number;
  configs: CachedConfigStatsDto[];
}
