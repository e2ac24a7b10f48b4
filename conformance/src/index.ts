export { runConformance, type ConformanceOptions, type ConformanceReport, type DeviceEnv } from './kit.ts';
export { formatReport } from './report.ts';
export { RULES, RULE_IDS, type RuleId, type RuleResult } from './rules.ts';
export { ProbeEvent } from './probe.ts';
