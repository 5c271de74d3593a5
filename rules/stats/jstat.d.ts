// jstat ships no types; these cover only what rules/stats uses.
declare module 'jstat' {
  interface Normal {
    cdf(x: number, mean: number, sd: number): number;
    inv(p: number, mean: number, sd: number): number;
  }
  interface JStat {
    normal: Normal;
    fn: {
      /** Pooled two-proportion z-test, two-sided p-value. */
      twoSidedDifferenceOfProportions(p1: number, n1: number, p2: number, n2: number): number;
    };
  }
  const jstat: { jStat: JStat };
  export default jstat;
}
