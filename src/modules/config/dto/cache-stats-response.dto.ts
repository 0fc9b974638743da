export class CachedConfigStatsDto {
  /** `<agent>@<label>` or `<agent>@v<version>`; `*all` for the full snapshot. */
  key: string;
  config_hash: string;
  access_count: number;
  created_at: string;
  last_access_at: string;
}

/** This instance's cache of config reviews (by config hash), counted for your tenant alone. */
export class ReviewCacheStatsDto {
  entries: number;
  hits: number;
  misses: number;
  /** Reviews actually run: a config seen before is answered from the cache. */
  reviews_run: number;
}

/** This instance's resolved-config cache, for your tenant, and its review cache. */
export class CacheStatsResponseDto {
  cached_configs: number;
  hits: number;
  misses: number;
  /** hits / (hits + misses); 0 before any read. */
  hit_ratio: number;
  total_access_count: number;
  configs: CachedConfigStatsDto[];
  reviews: ReviewCacheStatsDto;
}
