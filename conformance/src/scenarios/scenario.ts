import type { Kit } from '../context.ts';
import type { RuleId, RuleResult } from '../rules.ts';

/** A scripted part of the run, certifying one or more rules. */
export interface Scenario {
  rules: RuleId[];
  run(kit: Kit): Promise<RuleResult[]>;
}
