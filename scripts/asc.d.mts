export declare const root: string;
export declare function compileAssemblyScript(
  entry: string,
  outFile: string,
  options?: { target?: "release" | "debug"; extraArgs?: string[] },
): Promise<{ outFile: string; bytes: number; cached: boolean }>;
/** The source files an AssemblyScript build of `entry` (an absolute path) can depend on, which its cache key hashes. */
export declare function assemblyInputs(entry: string): string[];
