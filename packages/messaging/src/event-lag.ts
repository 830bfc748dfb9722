/**
 * Histogram buckets, in seconds, for how long an event takes from its append to the event store to a stage
 * downstream: Kafka's commit (the relay) or the read models (the projections). One set for both, so that the
 * two histograms can be read side by side, from a few milliseconds when live to minutes when catching up.
 */
export const eventLagBuckets: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
];
