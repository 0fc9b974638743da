import { Injectable } from '@nestjs/common';
import { ResolvedConfigService } from '../internal/resolved-config.service';
import { ConfigReviewService } from './config-review.service';
import type { CacheStatsResponseDto } from './dto/cache-stats-response.dto';

@Injectable()
export class ConfigService {
  constructor(
    private readonly resolved: ResolvedConfigService,
    private readonly reviews: ConfigReviewService,
  ) {}

  cacheStats(tenantId: string): CacheStatsResponseDto {
    const stats = this.resolved.stats(tenantId);
    const reviews = this.reviews.stats(tenantId);
    return {
      cached_configs: stats.entries,
      hits: stats.hits,
      misses: stats.misses,
      hit_ratio: Math.round(stats.hitRatio * 10_000) / 10_000,
      total_access_count: stats.totalAccessCount,
      configs: stats.configs.map((config) => ({
        key: config.key,
        config_hash: config.configHash,
        access_count: config.accessCount,
        created_at: new Date(config.createdAt).toISOString(),
        last_access_at: new Date(config.lastAccessAt).toISOString(),
      })),
      reviews: {
        entries: reviews.entries,
        hits: reviews.hits,
        misses: reviews.misses,
        reviews_run: reviews.reviewsRun,
      },
    };
  }
}
