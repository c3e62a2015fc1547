import * as path from 'node:path';
import type * as TS from 'typescript';
import type { PathSegment } from './field-path';

/** What the TypeScript declaration of a model says about one field path. */
export type Declared = 'declared' | 'undeclared' | 'open';

/**
 * Second opinion on unknown-field candidates, from the `.d.ts` interfaces kubernetes-models ships.
 *
 * The compiled validators drop properties whose schema is empty (no type, or a property literally named
 * `description`, e.g. Argo CD AppProject `spec.description`), so "never read" alone would flag them. The
 * declarations still list them. Loading the TypeScript checker costs ~0.5 s, so it only runs when the
 * cheap access check found a candidate; a clean tree never pays for it.
 */
export class DeclaredFields {
  private ts?: typeof TS;
  private program?: TS.Program;
  private readonly roots = new Map<string, string>(); // module specifier -> resolved .d.ts

  /** Whether `segments` (from the object root) is a declared field of `kind` exported by `specifier`. */
  check(specifier: string, kind: string, segments: readonly PathSegment[]): Declared {
    const ts = this.typescript();
    const checker = this.programWith(specifier).getTypeChecker();
    const file = this.program!.getSourceFile(this.roots.get(specifier)!);
    const moduleSymbol = file && checker.getSymbolAtLocation(file);
    const cls = moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((s) => s.name === kind);
    if (!cls) return 'open'; // no declaration to compare with: do not guess
    let type: TS.Type = checker.getDeclaredTypeOfSymbol(cls);
    for (const segment of segments) {
      type = checker.getNonNullableType(type);
      if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.NonPrimitive)) return 'open';
      let next: TS.Type | undefined;
      if (typeof segment === 'number') {
        next = checker.isArrayType(type) ? checker.getTypeArguments(type as TS.TypeReference)[0] : undefined;
        if (!next) return 'open';
      } else {
        const prop = checker.getPropertyOfType(type, segment);
        if (prop) next = checker.getTypeOfSymbol(prop);
        else {
          const index = checker.getIndexInfosOfType(type).find((i) => i.keyType.flags & ts.TypeFlags.String);
          if (!index) return 'undeclared';
          next = index.type;
        }
      }
      type = next;
    }
    return 'declared';
  }

  private typescript(): typeof TS {
    // Loaded on first use: the validator does not need the compiler for a clean tree.
    this.ts ??= require('typescript') as typeof TS;
    return this.ts;
  }

  private programWith(specifier: string): TS.Program {
    const ts = this.typescript();
    if (this.program && this.roots.has(specifier)) return this.program;
    const options: TS.CompilerOptions = {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es5.d.ts'], // the declarations need Array and friends only; the DOM lib would triple the cost
      types: [],
      noEmit: true,
      skipLibCheck: true,
    };
    const from = path.join(__dirname, 'declared-fields.ts');
    const resolved = ts.resolveModuleName(specifier, from, options, ts.sys, undefined, undefined, ts.ModuleKind.ESNext).resolvedModule;
    if (!resolved) throw new Error(`cannot resolve type declarations of ${specifier}`);
    this.roots.set(specifier, resolved.resolvedFileName);
    this.program = ts.createProgram([...this.roots.values()], options, undefined, this.program);
    return this.program;
  }
}
