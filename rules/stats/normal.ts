import jstat from 'jstat';

// jstat rather than simple-statistics: simple-statistics' probit(0.975) is 1.9572 (not 1.95996) and its
// CDF is a table rounded to two decimals of z, which moves Wilson bounds in the fourth decimal and
// p-values by up to 0.0005. jstat's erf-based functions agree with R's qnorm/pnorm to ~1e-15.
const { normal } = jstat.jStat;

/** Standard normal CDF Φ(x). */
export function normalCdf(x: number): number {
  return normal.cdf(x, 0, 1);
}

/** Standard normal quantile Φ⁻¹(p). */
export function normalQuantile(p: number): number {
  return normal.inv(p, 0, 1);
}

/** z such that a two-sided interval of this confidence covers ±z: 0.95 → 1.95996. */
export function zForConfidence(confidence: number): number {
  return normalQuantile(1 - (1 - confidence) / 2);
}
