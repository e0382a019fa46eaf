import ts from 'typescript';

/**
 * Cyclomatic complexity of a TypeScript/JavaScript source, from the TypeScript compiler's own
 * parser: 1 for the module plus, for every function-like body, 1, plus one per decision point —
 * `if`, `?:`, `for`/`for…in`/`for…of`/`while`/`do`, each `case` with a test, `catch`, and the
 * short-circuit operators `&&`, `||`, `??` and their assignment forms (as ESLint's `complexity`
 * rule counts them). A file that does not parse still yields the count of what parsed.
 */
export function cyclomaticComplexity(source: string, fileName = 'file.ts'): number {
  const kind = /\.(tsx|jsx)$/i.test(fileName)
    ? ts.ScriptKind.TSX
    : /\.(js|mjs|cjs)$/i.test(fileName)
      ? ts.ScriptKind.JS
      : ts.ScriptKind.TS;
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, kind);
  let count = 1;
  const visit = (node: ts.Node): void => {
    switch (node.kind) {
      case ts.SyntaxKind.FunctionDeclaration:
      case ts.SyntaxKind.FunctionExpression:
      case ts.SyntaxKind.ArrowFunction:
      case ts.SyntaxKind.MethodDeclaration:
      case ts.SyntaxKind.Constructor:
      case ts.SyntaxKind.GetAccessor:
      case ts.SyntaxKind.SetAccessor:
        if ((node as ts.FunctionLikeDeclaration).body) count++;
        break;
      case ts.SyntaxKind.IfStatement:
      case ts.SyntaxKind.ConditionalExpression:
      case ts.SyntaxKind.ForStatement:
      case ts.SyntaxKind.ForInStatement:
      case ts.SyntaxKind.ForOfStatement:
      case ts.SyntaxKind.WhileStatement:
      case ts.SyntaxKind.DoStatement:
      case ts.SyntaxKind.CatchClause:
      case ts.SyntaxKind.CaseClause:
        count++;
        break;
      case ts.SyntaxKind.BinaryExpression: {
        const op = (node as ts.BinaryExpression).operatorToken.kind;
        if (
          op === ts.SyntaxKind.AmpersandAmpersandToken ||
          op === ts.SyntaxKind.BarBarToken ||
          op === ts.SyntaxKind.QuestionQuestionToken ||
          op === ts.SyntaxKind.AmpersandAmpersandEqualsToken ||
          op === ts.SyntaxKind.BarBarEqualsToken ||
          op === ts.SyntaxKind.QuestionQuestionEqualsToken
        )
          count++;
        break;
      }
      default:
        break;
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return count;
}
