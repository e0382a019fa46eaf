import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/**
 * Lists functions longer than a limit (default 80 lines, counted from the declaration's first line
 * to its closing brace) in the given folders, longest first, so long ones can be split into named
 * steps. Usage: `npx tsx scripts/long-functions.ts [--max N] [folder ...]` (default folders: shared
 * functions bin infra). Exits 0 whatever it finds: it is a list to act on, not a gate.
 */

interface LongFunction {
  file: string;
  line: number;
  name: string;
  lines: number;
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'cdk.out') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...tsFiles(path));
    else if (/\.tsx?$/.test(entry) && !entry.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function nameOf(node: ts.Node, source: ts.SourceFile): string {
  const named = node as ts.Node & { name?: ts.Node };
  if (named.name) {
    const own = named.name.getText(source);
    if (ts.isMethodDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node)) {
      const owner = node.parent as ts.ClassLikeDeclaration;
      return owner.name ? `${owner.name.getText(source)}.${own}` : own;
    }
    return own;
  }
  if (ts.isConstructorDeclaration(node)) {
    const owner = node.parent;
    return `${owner.name?.getText(source) ?? '(class)'}.constructor`;
  }
  // An arrow or function expression takes the name of what it is assigned to or passed as.
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))
    return parent.name.getText(source);
  if (ts.isCallExpression(parent)) {
    const callee = parent.expression.getText(source);
    return `(callback of ${callee.length > 40 ? `${callee.slice(0, 37)}...` : callee})`;
  }
  return '(anonymous)';
}

export function longFunctions(files: readonly string[], max: number, root: string): LongFunction[] {
  const found: LongFunction[] = [];
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node) => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
        const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        const lines = end - start + 1;
        if (lines > max)
          found.push({ file: relative(root, file), line: start + 1, name: nameOf(node, source), lines });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found.sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file));
}

function main(argv: readonly string[]): void {
  let max = 80;
  const folders: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--max') {
      max = Number(argv[++i]);
      if (!Number.isInteger(max) || max < 1) {
        process.stderr.write(`long-functions: --max ${argv[i]}: expected a positive integer\n`);
        process.exit(2);
      }
    } else folders.push(arg);
  }
  const root = process.cwd();
  const dirs = folders.length > 0 ? folders : ['shared', 'functions', 'bin', 'infra'];
  const found = longFunctions(
    dirs.flatMap((d) => tsFiles(join(root, d))),
    max,
    root,
  );
  for (const f of found)
    process.stdout.write(`${String(f.lines).padStart(4)}  ${f.file}:${f.line}  ${f.name}\n`);
  process.stdout.write(`${found.length} function(s) longer than ${max} lines\n`);
}

if (require.main === module) main(process.argv.slice(2));
