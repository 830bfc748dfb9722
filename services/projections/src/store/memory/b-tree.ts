import { createRequire } from 'node:module';
import type SortedBtree from 'sorted-btree';

/**
 * sorted-btree's B+ tree, a sorted map with O(log n) writes: what the embedded rankings keep their order in,
 * where a sorted array would move the whole tail of a large ranking on every write. The package is CommonJS
 * with its class as `exports.default`, which ESM loaders hand over differently (Node gives the whole exports
 * object as the default import, bundlers the class): required, it is the same everywhere.
 */
const { default: btree } = createRequire(import.meta.url)('sorted-btree') as {
  default: typeof SortedBtree.default;
};
export const BTree = btree;
export type BTree<K, V> = InstanceType<typeof SortedBtree.default<K, V>>;
