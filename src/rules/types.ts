/** One example a rule file gives for a rule: a line and what it must yield. */
export interface RuleExample {
  line: string;
  /** PIDs the rule must find, in order of first appearance; [] for a trap. */
  pids: number[];
  /** TIDs the rule must find; left out of the file, it means none. */
  tids?: number[];
}

/** A capture group that holds a PID or TID, and whether it is hexadecimal. */
export interface GroupSpec {
  name: string;
  hex: boolean;
}

/** A rule ready to match: a validated rule file entry with its regex built. */
export interface Rule {
  name: string;
  /** The file it came from, for messages. */
  file: string;
  description: string;
  pattern: string;
  /** The flags of the rule file, without the g that hostpid adds. */
  flags: string;
  /** Global, so every match in the line is seen. */
  re: RegExp;
  pidGroups: GroupSpec[];
  tidGroups: GroupSpec[];
  /** Its PIDs are host PIDs already (kernel, container runtime lines). */
  host: boolean;
  /**
   * Literal strings of which a matching line holds at least one; a line
   * with none of them skips the rule. Empty: the rule runs on every line.
   */
  hints: string[];
  /** The author accepted a pattern that the backtracking check refuses. */
  unsafe: boolean;
  examples: RuleExample[];
}
