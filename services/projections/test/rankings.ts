import type { RankingsDump } from '../src/store/rankings.js';

/**
 * The rankings of a store, best first, each score to 9 decimals: Redis computes explore's logarithm in Lua,
 * which may differ from Math.log2 in the last bit. What two stores' rankings are compared by.
 */
export function rankingsOf(dump: RankingsDump): RankingsDump {
  return Object.fromEntries(
    Object.entries(dump).map(([name, entries]) => [
      name,
      entries.map(([postId, score]): [string, number] => [postId, Math.round(score * 1e9) / 1e9]),
    ]),
  );
}
