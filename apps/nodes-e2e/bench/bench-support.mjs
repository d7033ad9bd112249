/** What both node benchmarks need: a time limit that ends the run, and percentiles. */

/** End the process after `limitMs` (test-support kills every node it spawned on exit). */
export function startWatchdog(limitMs) {
  const watchdog = setTimeout(() => {
    console.error(`benchmark exceeded ${limitMs / 1000} s; stopping`);
    process.exit(1);
  }, limitMs);
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));
  return watchdog;
}

/** The p-th percentile of an ascending array (nearest rank). */
export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
