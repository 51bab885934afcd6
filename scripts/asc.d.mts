export declare const root: string;
export declare function compileAssemblyScript(
  entry: string,
  outFile: string,
  options?: { target?: "release" | "debug"; extraArgs?: string[] },
): Promise<{ outFile: string; bytes: number; cached: boolean }>;
