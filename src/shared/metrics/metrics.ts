import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus metrics. One registry per process (not per Nest app): the metrics
 * describe the process, and module-level metrics let hot paths count without injection.
 * Label sets are bounded: route templates, methods, status codes, states — never ids.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, eventLoopMonitoringPrecision: 20 });
// These three gauges end in _total, which Prometheus reserves for counters (promtool check metrics
// refuses them); the same counts stay available by type in nodejs_active_{handles,requests,resources}.
for (const name of [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
]) {
  metricsRegistry.removeSingleMetric(name);
}

export const httpRequestDuration = new Histogram({
  name: 'agentry_http_request_duration_seconds',
  help: 'HTTP request duration by route template, method and status code',
  labelNames: ['route', 'method', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

export const activeSseStreams = new Gauge({
  name: 'agentry_sse_streams_active',
  help: 'Server-Sent Events streams open on this process',
  registers: [metricsRegistry],
});

export const configCacheRequests = new Counter({
  name: 'agentry_config_cache_requests_total',
  help: 'Resolved-config cache lookups by result (hit or miss)',
  labelNames: ['result'] as const,
  registers: [metricsRegistry],
});

export const changeEventsPublished = new Counter({
  name: 'agentry_change_events_published_total',
  help: 'Change events published to the bus by this process',
  registers: [metricsRegistry],
});

export const outboxOldestUnpublishedAge = new Gauge({
  name: 'agentry_outbox_oldest_unpublished_age_seconds',
  help: 'Age of the oldest change event not yet published (0 when none)',
  registers: [metricsRegistry],
});

export const runsFinished = new Counter({
  name: 'agentry_runs_total',
  help: 'Runs that reached a final or resumable state (completed, failed, cancelled, interrupted)',
  labelNames: ['status'] as const,
  registers: [metricsRegistry],
});

export const runsByState = new Gauge({
  name: 'agentry_runs_in_progress',
  help: 'Runs queued, running or paused, across every instance (read from the database at scrape time)',
  labelNames: ['status'] as const,
  registers: [metricsRegistry],
});

export const tokensUsed = new Counter({
  name: 'agentry_tokens_total',
  help: 'Model tokens used by runs on this process, by kind (prompt or completion)',
  labelNames: ['kind'] as const,
  registers: [metricsRegistry],
});

export const reviewCacheRequests = new Counter({
  name: 'agentry_review_cache_requests_total',
  help: 'Config review cache lookups by result (hit or miss)',
  labelNames: ['result'] as const,
  registers: [metricsRegistry],
});

/** Counts a run that reached a final (or interrupted) state, and its tokens when it has metrics. */
export function countFinishedRun(
  status: 'completed' | 'failed' | 'cancelled' | 'interrupted',
  metrics?: { prompt_tokens?: number; completion_tokens?: number },
): void {
  runsFinished.inc({ status });
  if (metrics?.prompt_tokens) tokensUsed.inc({ kind: 'prompt' }, metrics.prompt_tokens);
  if (metrics?.completion_tokens) tokensUsed.inc({ kind: 'completion' }, metrics.completion_tokens);
}
