/**
 * The library surface: the annotator stream, the resolver underneath it,
 * the namespace hierarchy, and recorded process tables.
 */
export { createAnnotator, type Annotator, type AnnotatorOptions } from './pipeline.js';
export {
  Resolver,
  type Resolution,
  type ResolverOptions,
  type Unresolved,
} from './resolve/resolver.js';
export { ProcfsSource, type ProcessSource } from './resolve/source.js';
export { findTarget, resolveTarget, type Target, type TargetSpec } from './resolve/target.js';
export {
  buildHierarchy,
  formatTable,
  type Hierarchy,
  type PidNamespace,
  readHierarchy,
} from './resolve/hierarchy.js';
export { inspectContainer } from './docker.js';
export { openRecordedSource, type RecordedSource } from './snapshot/source.js';
export type { HistoryAnswer, PidHistory } from './snapshot/history.js';
export { loadCheckedRules, loadRules, SHIPPED_RULES_DIR } from './rules/load.js';
export type { Rule } from './rules/types.js';
export { HostpidError } from './errors.js';
export type { RunStats } from './stats.js';
