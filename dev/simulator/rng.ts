/** A small seeded PRNG (mulberry32): the simulator must be reproducible, so nothing here uses Math.random. */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** A random version-4-shaped GUID drawn from this generator. */
  guid(): string;
}

/** Creates a deterministic generator: the same seed always yields the same sequence. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const u32hex = (): string =>
    Math.floor(next() * 4294967296)
      .toString(16)
      .padStart(8, '0');
  return {
    next,
    int: (maxExclusive) => Math.floor(next() * maxExclusive),
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error('pick() from an empty array');
      return item;
    },
    guid: () => {
      const h = u32hex() + u32hex() + u32hex() + u32hex();
      const variant = ((parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
      return flat(
        `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`,
      );
    },
  };
}

/**
 * Copies a string into one flat allocation. Concatenated strings are kept by V8 as trees of their
 * pieces (a GUID built from slices weighs ~400 bytes instead of ~56); at 100,000 users that matters.
 */
export function flat(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}
