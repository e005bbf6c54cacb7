/** The library surface: the annotator stream and the resolver underneath it. */
export { createAnnotator, type AnnotatorOptions } from './pipeline.js';
export { Resolver, type Resolution, type ResolverOptions, type Unresolved } from './resolve/resolver.js';
export { ProcfsSource, type ProcessSource } from './resolve/source.js';
export { findTarget, type Target, type TargetSpec } from './resolve/target.js';
export { loadRules, SHIPPED_RULES_DIR } from './rules/load.js';
export type { Rule } from './rules/types.js';
export { HostpidError } from './errors.js';
export type { RunStats } from './stats.js';
