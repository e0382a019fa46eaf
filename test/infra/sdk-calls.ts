import * as path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../../infra/paths';
import { TABLE_NAMES, TABLES, type TableName } from '../../shared/data/tables';

/**
 * What a Lambda handler can call on AWS, read from the code with the TypeScript checker: a
 * call graph from the handler's export (rapid type analysis: a method is reached only when it is
 * called on a type it implements AND its class or object literal is created somewhere reached),
 * collecting every `new XxxCommand(...)` / `paginateXxx(...)` of an `@aws-sdk/*` package and the
 * Powertools DynamoDB persistence layer. DynamoDB calls are attributed to a table by the string
 * literal table name at the call into the data layer (`ctx.put('signals', ...)`), with the index
 * named in the same call.
 *
 * Conservative where it cannot know: a call through an interface reaches every reached
 * implementation, and a callback passed anywhere is walked. It does not follow code in
 * node_modules except the SDK entry points listed here.
 */
export interface TableUse {
  readonly actions: Set<string>;
  readonly indexes: Set<string>;
}

export interface SdkReach {
  /** IAM actions of every SDK command reached, DynamoDB included. */
  readonly actions: Set<string>;
  /** DynamoDB actions and indexes per table. */
  readonly tables: Map<TableName, TableUse>;
  /** DynamoDB command sites not attributable to a table (a test should refuse these). */
  readonly unattributed: string[];
  /** `file:line Command` of every SDK call site reached (for failure messages). */
  readonly sites: string[];
}

/** IAM service prefix per SDK package (`@aws-sdk/client-<x>`); absent ones use `<x>`. */
const SERVICE_PREFIX: Readonly<Record<string, string>> = {
  'client-elastic-load-balancing-v2': 'elasticloadbalancing',
  'client-eventbridge': 'events',
  'client-route-53': 'route53',
  'client-sfn': 'states',
  'client-cloudwatch-logs': 'logs',
  'client-auto-scaling': 'autoscaling',
  'client-application-auto-scaling': 'application-autoscaling',
  'lib-dynamodb': 'dynamodb',
};

/** Commands whose IAM action is not `<prefix>:<name without Command>`. */
const ACTION_EXCEPTIONS: Readonly<Record<string, string>> = {
  'lambda:Invoke': 'lambda:InvokeFunction',
  'lambda:InvokeWithResponseStream': 'lambda:InvokeFunction',
  // lib-dynamodb's document-client commands.
  'dynamodb:Get': 'dynamodb:GetItem',
  'dynamodb:Put': 'dynamodb:PutItem',
  'dynamodb:Update': 'dynamodb:UpdateItem',
  'dynamodb:Delete': 'dynamodb:DeleteItem',
  'dynamodb:BatchGet': 'dynamodb:BatchGetItem',
  'dynamodb:BatchWrite': 'dynamodb:BatchWriteItem',
  'dynamodb:TransactGet': 'dynamodb:TransactGetItems',
  'dynamodb:TransactWrite': 'dynamodb:TransactWriteItems',
  'dynamodb:ExecuteStatement': 'dynamodb:PartiQLSelect',
};

/**
 * Library classes that call AWS themselves: constructing one reaches these actions on a table.
 * Powertools' DynamoDBPersistenceLayer reads, writes, updates and deletes idempotency records.
 */
const LIBRARY_CALLERS: Readonly<Record<string, { table: TableName; actions: readonly string[] }>> = {
  DynamoDBPersistenceLayer: {
    table: 'idempotency',
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  },
};

/** The IAM action of an SDK export (`DescribeServicesCommand` of client-ecs), or undefined. */
export function actionOfSdkExport(pkg: string, name: string): string | undefined {
  const match = /^@aws-sdk\/((?:client|lib)-[a-z0-9-]+)/.exec(pkg);
  if (!match?.[1]) return undefined;
  const prefix = SERVICE_PREFIX[match[1]] ?? match[1].replace(/^client-/, '');
  let op: string | undefined;
  if (/^[A-Z]\w*Command$/.test(name)) op = name.slice(0, -'Command'.length);
  else if (/^paginate[A-Z]\w*$/.test(name)) op = name.slice('paginate'.length);
  if (!op) return undefined;
  const action = `${prefix}:${op}`;
  return ACTION_EXCEPTIONS[action] ?? action;
}

const TABLE_SET: ReadonlySet<string> = new Set(TABLE_NAMES);

export class SdkCallAnalyzer {
  private readonly program: ts.Program;
  private readonly checker: ts.TypeChecker;
  private readonly subReach = new Map<ts.Node, Reach>();

  constructor(entries: readonly string[]) {
    const configPath = path.join(REPO_ROOT, 'tsconfig.json');
    const config = ts.readConfigFile(configPath, (f) => ts.sys.readFile(f));
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, REPO_ROOT);
    this.program = ts.createProgram(
      entries.map((e) => path.join(REPO_ROOT, e)),
      { ...parsed.options, noEmit: true },
    );
    this.checker = this.program.getTypeChecker();
  }

  /** Everything the export `handler` of `entry` can call. */
  public analyze(entry: string, handler: string): SdkReach {
    const file = this.program.getSourceFile(path.join(REPO_ROOT, entry));
    if (!file) throw new Error(`analyze: ${entry} is not in the program`);
    const moduleSymbol = this.checker.getSymbolAtLocation(file);
    const exported =
      moduleSymbol && this.checker.getExportsOfModule(moduleSymbol).find((s) => s.name === handler);
    if (!exported) throw new Error(`analyze: ${entry} exports no ${handler}`);
    const symbol = this.resolve(exported);
    const start = symbol.declarations ?? [];
    if (start.length === 0) throw new Error(`analyze: ${entry}#${handler} has no declaration`);

    const reach = this.walk(start);
    const tables = new Map<TableName, TableUse>();
    const attributedSites = new Set<string>();
    for (const [table, use] of reach.tableCalls) {
      const entryUse = tables.get(table) ?? { actions: new Set<string>(), indexes: new Set<string>() };
      const all = TABLES[table].globalSecondaryIndexes.map((i) => i.indexName);
      for (const callee of use.callees) {
        const sub = this.reachOf(callee);
        for (const site of sub.dynamoSites) {
          entryUse.actions.add(site.action);
          attributedSites.add(site.where);
          // An index named where the command is built, unless the call site names it.
          if (site.index !== undefined && use.indexes.size === 0)
            for (const index of site.index === '*' ? all : [site.index])
              if (all.includes(index)) entryUse.indexes.add(index);
        }
      }
      for (const index of use.indexes) entryUse.indexes.add(index);
      for (const action of use.direct) entryUse.actions.add(action);
      tables.set(table, entryUse);
    }
    const unattributed = reach.dynamoSites
      .filter((s) => !attributedSites.has(s.where))
      .map((s) => `${s.where} ${s.action}`);
    return {
      actions: new Set(reach.sites.map((s) => s.action)),
      tables,
      unattributed,
      sites: reach.sites.map((s) => `${s.where} ${s.action}`),
    };
  }

  private reachOf(node: ts.Node): Reach {
    let found = this.subReach.get(node);
    if (!found) {
      found = this.walk([node]);
      this.subReach.set(node, found);
    }
    return found;
  }

  private resolve(symbol: ts.Symbol): ts.Symbol {
    return symbol.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(symbol) : symbol;
  }

  private isProjectSource(node: ts.Node): boolean {
    const file = node.getSourceFile();
    return !file.isDeclarationFile && !file.fileName.includes('/node_modules/');
  }

  /** Fixed point of the reachable declarations from `start`. */
  private walk(start: readonly ts.Node[]): Reach {
    const reach = new Reach();
    const queue: ts.Node[] = [];
    const enqueue = (node: ts.Node) => {
      if (reach.visited.has(node)) return;
      reach.visited.add(node);
      queue.push(node);
    };
    // Interface members called so far, and the classes / object literals created so far.
    const memberCalls: { owner: ts.Type; name: string }[] = [];
    const seenMemberCalls = new Set<string>();
    const created: ts.Node[] = [];
    const matched = new Set<string>();
    let changed = true;

    const visitNode = (root: ts.Node) => {
      const visit = (node: ts.Node): void => {
        if (ts.isObjectLiteralExpression(node)) {
          // Its methods run when called (dispatch below), unless a library receives the object.
          created.push(node);
          const eager = this.passedToLibrary(node);
          for (const property of node.properties) if (eager || !isFunctionMember(property)) visit(property);
          return;
        }
        if (ts.isClassExpression(node)) created.push(node);
        if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node))
          this.reference(node, reach, enqueue, created, memberCalls, seenMemberCalls);
        if (ts.isCallExpression(node)) this.tableCall(node, reach);
        ts.forEachChild(node, visit);
      };
      // A declaration's own name is not a reference; walk what it runs.
      if (ts.isClassDeclaration(root)) {
        created.push(root);
        for (const member of root.members)
          if (ts.isConstructorDeclaration(member) || (ts.isPropertyDeclaration(member) && member.initializer))
            enqueue(member);
        for (const clause of root.heritageClauses ?? []) visit(clause);
        return;
      }
      ts.forEachChild(root, visit);
    };

    for (const node of start) enqueue(node);
    while (changed) {
      changed = false;
      while (queue.length > 0) {
        const node = queue.shift() as ts.Node;
        visitNode(node);
        changed = true;
      }
      // Dispatch: every created class / object literal that has a called interface member.
      for (const call of memberCalls) {
        for (const impl of created) {
          const member = memberOf(impl, call.name);
          if (!member) continue;
          const key = `${call.name}@${impl.pos}:${impl.getSourceFile().fileName}@${this.checker.typeToString(call.owner)}`;
          if (matched.has(key)) continue;
          matched.add(key);
          if (!this.checker.isTypeAssignableTo(this.instanceType(impl), call.owner)) continue;
          enqueue(member);
        }
      }
      if (queue.length > 0) changed = true;
    }
    return reach;
  }

  /** An argument of a call into code outside the project (middleware objects, options with callbacks). */
  private passedToLibrary(node: ts.Node): boolean {
    const parent = node.parent;
    if (!(ts.isCallExpression(parent) || ts.isNewExpression(parent))) return false;
    if (!parent.arguments?.some((a) => a === node)) return false;
    const callee = ts.isPropertyAccessExpression(parent.expression)
      ? parent.expression.name
      : parent.expression;
    const symbol = this.checker.getSymbolAtLocation(callee);
    const declarations = symbol ? (this.resolve(symbol).declarations ?? []) : [];
    return declarations.length === 0 || declarations.every((d) => !this.isProjectSource(d));
  }

  private instanceType(node: ts.Node): ts.Type {
    if ((ts.isClassDeclaration(node) || ts.isClassExpression(node)) && node.name) {
      const symbol = this.checker.getSymbolAtLocation(node.name);
      if (symbol) return this.checker.getDeclaredTypeOfSymbol(symbol);
    }
    return this.checker.getTypeAtLocation(node);
  }

  private reference(
    id: ts.Identifier | ts.PrivateIdentifier,
    reach: Reach,
    enqueue: (node: ts.Node) => void,
    _created: ts.Node[],
    memberCalls: { owner: ts.Type; name: string }[],
    seenMemberCalls: Set<string>,
  ): void {
    const raw = this.checker.getSymbolAtLocation(id);
    if (!raw) return;
    // Import specifiers: the SDK export itself, with its package.
    const sdk = this.sdkExport(raw);
    if (sdk && isValueUse(id)) {
      const where = location(id);
      const action = actionOfSdkExport(sdk.pkg, sdk.name);
      if (action) {
        reach.sites.push({ action, where });
        if (action.startsWith('dynamodb:'))
          reach.dynamoSites.push({ action, where, index: this.indexOf(id) });
      }
      const library = LIBRARY_CALLERS[sdk.name];
      if (library && sdk.pkg.startsWith('@aws-lambda-powertools/')) {
        for (const a of library.actions) reach.sites.push({ action: a, where });
        const use = reach.tableCalls.get(library.table) ?? {
          callees: [],
          indexes: new Set(),
          direct: new Set(),
        };
        for (const a of library.actions) use.direct.add(a);
        reach.tableCalls.set(library.table, use);
      }
      return;
    }
    const symbol = this.resolve(raw);
    for (const declaration of symbol.declarations ?? []) {
      if (!this.isProjectSource(declaration)) continue;
      if ((declaration as { name?: ts.Node }).name === id) continue;
      if (ts.isMethodSignature(declaration) || ts.isPropertySignature(declaration)) {
        const owner = declaration.parent;
        if (!(ts.isInterfaceDeclaration(owner) || ts.isTypeLiteralNode(owner))) continue;
        const ownerType = ts.isInterfaceDeclaration(owner)
          ? this.checker.getDeclaredTypeOfSymbol(this.checker.getSymbolAtLocation(owner.name) as ts.Symbol)
          : this.checker.getTypeAtLocation(owner);
        const key = `${owner.pos}:${owner.getSourceFile().fileName}#${symbol.name}`;
        if (!seenMemberCalls.has(key)) {
          seenMemberCalls.add(key);
          memberCalls.push({ owner: ownerType, name: symbol.name });
        }
        continue;
      }
      if (isWalkable(declaration)) enqueue(declaration);
    }
  }

  /** The package and export name when `symbol` is imported from an AWS SDK or Powertools package. */
  private sdkExport(symbol: ts.Symbol): { pkg: string; name: string } | undefined {
    for (const declaration of symbol.declarations ?? []) {
      if (ts.isImportSpecifier(declaration)) {
        const pkg = (declaration.parent.parent.parent.moduleSpecifier as ts.StringLiteral).text;
        if (/^@aws-sdk\/|^@aws-lambda-powertools\//.test(pkg))
          return { pkg, name: (declaration.propertyName ?? declaration.name).text };
      }
    }
    return undefined;
  }

  /**
   * The `IndexName` of the command built at `id` (`new QueryCommand({ IndexName })`): its literal
   * value, `*` when chosen at run time, undefined when there is none.
   */
  private indexOf(id: ts.Node): string | undefined {
    const call = id.parent;
    if (!ts.isNewExpression(call) && !ts.isCallExpression(call)) return undefined;
    const [input] = call.arguments ?? [];
    if (!input || !ts.isObjectLiteralExpression(input)) return undefined;
    for (const property of input.properties) {
      if (ts.isSpreadAssignment(property)) {
        const type = this.checker.getTypeAtLocation(property.expression);
        const index = type.getProperty('IndexName') ?? type.getProperty('indexName');
        if (index) return '*';
        continue;
      }
      if (!property.name || !ts.isIdentifier(property.name) || property.name.text !== 'IndexName') continue;
      const type = this.checker.getTypeAtLocation(
        ts.isPropertyAssignment(property) ? property.initializer : property.name,
      );
      return type.isStringLiteral() ? type.value : '*';
    }
    return undefined;
  }

  /**
   * A call into the data layer naming its table by literal (`this.ctx.get('operations', ...)`):
   * remember the callee and any index named among its arguments.
   */
  private tableCall(call: ts.CallExpression, reach: Reach): void {
    const [first] = call.arguments;
    if (!first || !ts.isStringLiteralLike(first) || !TABLE_SET.has(first.text)) return;
    const table = first.text as TableName;
    const calleeSymbol = this.checker.getSymbolAtLocation(
      ts.isPropertyAccessExpression(call.expression) ? call.expression.name : call.expression,
    );
    const callees = (calleeSymbol ? (this.resolve(calleeSymbol).declarations ?? []) : []).filter(
      (d) => this.isProjectSource(d) && isWalkable(d),
    );
    if (callees.length === 0) return;
    const use = reach.tableCalls.get(table) ?? {
      callees: [],
      indexes: new Set<string>(),
      direct: new Set<string>(),
    };
    use.callees.push(...callees);
    const indexNames = new Set(TABLES[table].globalSecondaryIndexes.map((i) => i.indexName));
    const findIndexes = (node: ts.Node): void => {
      if (
        ts.isPropertyAssignment(node) &&
        ts.isIdentifier(node.name) &&
        /^(indexName|IndexName)$/.test(node.name.text)
      ) {
        const type = this.checker.getTypeAtLocation(node.initializer);
        if (type.isStringLiteral()) {
          if (indexNames.has(type.value)) use.indexes.add(type.value);
        } else {
          // Chosen at run time (a parameter): any index of the table.
          for (const name of indexNames) use.indexes.add(name);
        }
      }
      ts.forEachChild(node, findIndexes);
    };
    for (const argument of call.arguments.slice(1)) findIndexes(argument);
    reach.tableCalls.set(table, use);
  }
}

class Reach {
  readonly visited = new Set<ts.Node>();
  readonly sites: { action: string; where: string }[] = [];
  readonly dynamoSites: { action: string; where: string; index?: string | undefined }[] = [];
  readonly tableCalls = new Map<
    TableName,
    { callees: ts.Node[]; indexes: Set<string>; direct: Set<string> }
  >();
}

function isWalkable(node: ts.Node): boolean {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isClassDeclaration(node) ||
    (ts.isVariableDeclaration(node) && node.initializer !== undefined) ||
    (ts.isPropertyDeclaration(node) && node.initializer !== undefined) ||
    ts.isPropertyAssignment(node) ||
    ts.isShorthandPropertyAssignment(node) ||
    ts.isEnumDeclaration(node)
  );
}

function isFunctionMember(property: ts.ObjectLiteralElementLike): boolean {
  if (ts.isMethodDeclaration(property) || ts.isAccessor(property)) return true;
  return (
    ts.isPropertyAssignment(property) &&
    (ts.isArrowFunction(property.initializer) || ts.isFunctionExpression(property.initializer))
  );
}

/** The member called `name` of a class or object literal. */
function memberOf(node: ts.Node, name: string): ts.Node | undefined {
  if (ts.isClassDeclaration(node) || ts.isClassExpression(node))
    return node.members.find((m) => m.name && ts.isIdentifier(m.name) && m.name.text === name);
  if (ts.isObjectLiteralExpression(node))
    return node.properties.find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === name);
  return undefined;
}

/** Not a type position (`GetMetricDataCommand['input']`, `type X = ...`) nor an import clause. */
function isValueUse(id: ts.Node): boolean {
  for (let node: ts.Node | undefined = id.parent; node; node = node.parent) {
    if (ts.isTypeNode(node) || ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return false;
    if (ts.isExpression(node) || ts.isStatement(node)) return true;
  }
  return false;
}

function location(node: ts.Node): string {
  const file = node.getSourceFile();
  const { line } = file.getLineAndCharacterOfPosition(node.getStart());
  return `${path.relative(REPO_ROOT, file.fileName)}:${line + 1}`;
}
