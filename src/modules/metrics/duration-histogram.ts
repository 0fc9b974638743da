/**
 * Upper bounds, in seconds, of the run-duration histogram kept per hourly rollup. Bucket i (1-based,
 * as in SQL) counts durations in [BOUNDS[i-2], BOUNDS[i-1]); the last one counts everything longer.
 * The RunStatsRollup migration's agentry_run_stats_bounds() returns the same list.
 */
export const DURATION_BOUNDS = [
  0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600,
] as const;

export const HISTOGRAM_SIZE = DURATION_BOUNDS.length + 1;

/**
 * The q-quantile (0..1) of a merged histogram: the upper bound of the bucket where the cumulative
 * count reaches q of the total (the last bound for the open-ended bucket); 0 for no runs.
 */
export function histogramQuantile(histogram: readonly number[], q: number): number {
  const total = histogram.reduce((sum, count) => sum + count, 0);
  if (total === 0) return 0;
  const target = q * total;
  let cumulative = 0;
  for (let i = 0; i < histogram.length; i++) {
    cumulative += histogram[i];
    if (cumulative >= target) return DURATION_BOUNDS[Math.min(i, DURATION_BOUNDS.length - 1)];
  }
  return DURATION_BOUNDS[DURATION_BOUNDS.length - 1];
}

export function mergeHistograms(into: number[], from: readonly number[]): number[] {
  for (let i = 0; i < HISTOGRAM_SIZE; i++) into[i] = (into[i] ?? 0) + (from[i] ?? 0);
  return into;
}
