/** The scanners whose results the security scan reads. */
export const TOOLS = ['checkov', 'cfn-lint'] as const;
export type Tool = (typeof TOOLS)[number];

/** One failed check, normalised across scanners so the allowlist can match either. */
export interface Finding {
  tool: Tool;
  /** Scanned file, relative to the repository root with `/` separators, e.g. `dist/prod/airflow/worker.yaml`. */
  file: string;
  /** Resource id: checkov's `Kind.namespace.name` / `AWS::Type.LogicalId`; for cfn-lint `AWS::Type.LogicalId` or the template section. */
  resource: string;
  /** Check or rule id, e.g. `CKV_K8S_43` or `W3005`. */
  checkId: string;
  /** Human-readable check name or cfn-lint message. */
  checkName: string;
}

/** What one scanner run over one target produced. */
export interface ScanRun {
  tool: Tool;
  /** What was scanned, as given on the command line (a folder or a template file). */
  target: string;
  /** Passed checks per file (checkov); cfn-lint has no notion of a passed check, so it records clean templates as 1. */
  passedByFile: Map<string, number>;
  findings: Finding[];
  /** Wall-clock seconds the scanner took. */
  seconds: number;
}
