/**
 * Stable arm assignment. Pure and free of Node built-ins: it runs inside the workflow sandbox, and
 * the same (user, campaign, salt) must land in the same arm on every replay, worker and release.
 */

export interface Allocation {
  name: string;
  salt?: string | undefined;
  holdout: number;
  arms: ReadonlyArray<{ name: string; weight: number }>;
}

export interface Assignment {
  arm: string;
  holdout: boolean;
  /** The hash as a share of [0, 1): analysts can re-derive any assignment from it. */
  bucket: number;
}

/**
 * FNV-1a over the UTF-16 code units, then murmur3's 32-bit finaliser: FNV alone barely moves its
 * high bits for ids that differ only in their last character (u1, u2, …), which would skew arms.
 */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The holdout takes the first `holdout` share of the hash range; the arms split the rest by weight. */
export function assignArm(userId: string, campaign: Allocation): Assignment {
  const bucket = hash32(`${campaign.salt ?? campaign.name}\u0000${campaign.name}\u0000${userId}`) / 2 ** 32;
  if (bucket < campaign.holdout) return { arm: 'holdout', holdout: true, bucket };
  const total = campaign.arms.reduce((sum, arm) => sum + arm.weight, 0);
  let point = ((bucket - campaign.holdout) / (1 - campaign.holdout)) * total;
  for (const arm of campaign.arms) {
    if (point < arm.weight) return { arm: arm.name, holdout: false, bucket };
    point -= arm.weight;
  }
  // Rounding can leave the very top of the range past the last boundary.
  return { arm: campaign.arms[campaign.arms.length - 1]!.name, holdout: false, bucket };
}
