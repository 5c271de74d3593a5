// Statistics of rescue experiments: pure functions, no I/O.
export { StatsInputError } from './input.ts';
export type { Interval } from './interval.ts';
export { normalCdf, normalQuantile, zForConfidence } from './normal.ts';
export { wilsonInterval } from './wilson.ts';
export { absoluteLift, relativeLift, type RelativeLift } from './lift.ts';
export { twoProportionTest } from './z-test.ts';
export { costPerIncrementalRescue, type CostPerIncrementalRescue } from './cost.ts';
export { medianDaysToReturn } from './return-time.ts';
export { sampleSizePerArm, comparisonPower, checkPower, type PowerCheck, type PowerCheckOptions, type SampleSizeInput, type PowerInput } from './power.ts';
export { compareArms, CompareArmsInput, type ArmComparison, type Comparison, type GroupSummary, type Verdict } from './compare.ts';
