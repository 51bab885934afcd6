export interface CompileJob {
  entry: string;
  outFile: string;
  options?: { target?: string; extraArgs?: string[] };
}
export interface CompileResult { outFile: string; bytes: number; cached: boolean; ms: number }
export declare function compileAll<J extends CompileJob>(
  jobs: J[],
  options?: { concurrency?: number; onDone?: (job: J, result: CompileResult | null, error: Error | null) => void },
): Promise<Array<{ job: J; result: CompileResult | null; error: Error | null }>>;
