import { createRequire } from 'node:module';
import type SortedBtree from 'sorted-btree';
import type { bulkLoad as BulkLoad } from 'sorted-btree/extended/bulkLoad.js';

/**
 * sorted-btree's B+ tree, a sorted map with O(log n) writes: what the embedded rankings keep their order in,
 * where a sorted array would move the whole tail of a large ranking on every write. The package is CommonJS
 * with its class as `exports.default`, which ESM loaders hand over differently (Node gives the whole exports
 * object as the default import, bundlers the class): required, it is the same everywhere.
 */
const require = createRequire(import.meta.url);
const { default: btree } = require('sorted-btree') as { default: typeof SortedBtree.default };
export const BTree = btree;
export type BTree<K, V> = InstanceType<typeof SortedBtree.default<K, V>>;

const { bulkLoad } = require('sorted-btree/extended/bulkLoad.js') as { bulkLoad: typeof BulkLoad };

/**
 * A tree of `keys`, sorted by `compare` strictly ascending (no two equal), built in one pass over them: what a
 * ranking built whole costs, rather than a descent and a node split per key inserted one at a time.
 */
export function treeOfSorted<K>(keys: K[], compare: (a: K, b: K) => number): BTree<K, undefined> {
  return bulkLoad(keys, new Array<undefined>(keys.length), 32, compare);
}
