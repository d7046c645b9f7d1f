import { describe, expect, it } from 'vitest';
import { LfuCache, LruCache } from '../../src/sim/cache.js';
import { Rng } from '../../src/sim/rng.js';

/** Reference caches written the slow, obvious way (arrays scanned linearly). */
function referenceLru(stream: number[], c: number): number {
  const order: number[] = []; // most recent last
  let hits = 0;
  for (const x of stream) {
    const i = order.indexOf(x);
    if (i >= 0) {
      hits++;
      order.splice(i, 1);
    } else if (order.length === c && c > 0) order.shift();
    if (c > 0) order.push(x);
  }
  return hits;
}
function referenceLfu(stream: number[], c: number): number {
  const items: Array<{ x: number; count: number; last: number }> = [];
  let hits = 0;
  stream.forEach((x, t) => {
    const it = items.find((e) => e.x === x);
    if (it) {
      hits++;
      it.count++;
      it.last = t;
      return;
    }
    if (c === 0) return;
    if (items.length === c) {
      let v = 0;
      for (let i = 1; i < items.length; i++)
        if (items[i]!.count < items[v]!.count || (items[i]!.count === items[v]!.count && items[i]!.last < items[v]!.last)) v = i;
      items.splice(v, 1);
    }
    items.push({ x, count: 1, last: t });
  });
  return hits;
}
const run = (cache: LruCache | LfuCache, stream: number[]) => {
  for (const x of stream) cache.access(x);
  return cache.hits;
};

describe('LRU and LFU caches', () => {
  it('hand-made streams with known hits', () => {
    // LRU, 2 rows: 1 m, 2 m, 1 h, 3 m (evicts 2), 2 m (evicts 1), 1 m (evicts 3)
    expect(run(new LruCache(2), [1, 2, 1, 3, 2, 1])).toBe(1);
    // LFU, 2 rows: 1 m, 2 m, 1 h (count 2), 3 m (evicts 2), 2 m (evicts 3, count 1, older), 1 h
    expect(run(new LfuCache(2), [1, 2, 1, 3, 2, 1])).toBe(2);
    // a cyclic scan one larger than the cache: LRU never hits
    const scan = Array.from({ length: 40 }, (_, i) => i % 5);
    expect(run(new LruCache(4), scan)).toBe(0);
    // LFU with all counts 1 evicts the oldest, so it does no better on that scan
    expect(run(new LfuCache(4), scan)).toBe(0);
    // 0..3 twice (4 hits, counts 2), then five rounds of 0..4: LFU keeps 1..3 (counts grow) and
    // trades 0 and 4 in the last slot: 4 + 4 (first round) + 3 + 3 + 3 + 3 = 20 hits; LRU loses
    // everything after the first round: 4 + 4 = 8
    const warm = [0, 1, 2, 3, 0, 1, 2, 3, ...Array.from({ length: 25 }, (_, i) => i % 5)];
    expect(run(new LfuCache(4), warm)).toBe(20);
    expect(run(new LruCache(4), warm)).toBe(8);
    // capacity 0 caches nothing; capacity >= distinct rows misses only the first touch
    expect(run(new LruCache(0), [1, 1, 1])).toBe(0);
    expect(run(new LfuCache(10), [5, 6, 5, 6, 7, 5])).toBe(3);
  });
  it('agree with the reference implementations on random skewed streams, ranks past 2^32 included', () => {
    const rng = new Rng(21);
    for (let trial = 0; trial < 30; trial++) {
      const c = trial % 7;
      const stream = Array.from({ length: 600 }, () => {
        const u = rng.nextDouble();
        return Math.floor(1 / (u + 0.02)) * (trial % 2 ? 5e9 : 1);
      });
      const lru = new LruCache(c);
      const lfu = new LfuCache(c);
      expect(run(lru, stream)).toBe(referenceLru(stream, c));
      expect(run(lfu, stream)).toBe(referenceLfu(stream, c));
      expect(lru.hits + lru.misses).toBe(stream.length);
      expect(lru.size).toBeLessThanOrEqual(c);
    }
  });
  it('deletions keep the hash map consistent under heavy churn (has() matches the reference content)', () => {
    const rng = new Rng(4);
    const lru = new LruCache(50);
    const order: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const x = Math.floor(rng.nextDouble() * 120);
      lru.access(x);
      const j = order.indexOf(x);
      if (j >= 0) order.splice(j, 1);
      else if (order.length === 50) order.shift();
      order.push(x);
    }
    for (let x = 0; x < 120; x++) expect(lru.has(x)).toBe(order.includes(x));
  });
});
