/** One example a rule file gives for a rule: a line and what it must yield. */
export interface RuleExample {
  line: string;
  /** PIDs the rule must find, in order of first appearance; [] for a trap. */
  pids: number[];
  tids?: number[];
}

/** A rule ready to match: a validated rule file entry with its regex built. */
export interface Rule {
  name: string;
  /** The file it came from, for messages. */
  file: string;
  description: string;
  pattern: string;
  /** Global, so every match in the line is seen. */
  re: RegExp;
  /** Capture groups that hold PIDs, and whether each is hexadecimal. */
  pidGroups: Array<{ name: string; hex: boolean }>;
  tidGroups: Array<{ name: string; hex: boolean }>;
  /** Its PIDs are host PIDs already (kernel, container runtime lines). */
  host: boolean;
  examples: RuleExample[];
}
