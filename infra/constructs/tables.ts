import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { DynamoAction, TableAccess } from '../../functions/manifest';
import {
  type KeyAttribute,
  TABLE_NAMES,
  TABLES,
  type TableName,
  type TableNames,
  tableNamesFromPrefix,
} from '../../shared/data/tables';
import { ValidationError } from '../../shared/errors';

export interface TablesProps {
  /** Physical names are `<prefix>-<table>` (shared/data/tables.ts), the same in every region. */
  readonly prefix: string;
  /**
   * `create`: this stack owns the tables (the primary region). `import`: the tables exist here as
   * global-table replicas owned by the primary stack (the standby region); only names and ARNs.
   * @default 'create'
   */
  readonly mode?: 'create' | 'import';
  /** Regions holding a replica of every table (the standby region). Only with `create`. @default [] */
  readonly replicaRegions?: readonly string[];
  /**
   * Which tables to deploy: those some function is granted (`tablesUsedBy`), so a table no code
   * reads or writes is not deployed. @default every table of `TABLES`
   */
  readonly only?: readonly TableName[];
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** @default true */
  readonly deletionProtection?: boolean;
}

const READ: readonly DynamoAction[] = ['GetItem', 'Query'];
const WRITE: readonly DynamoAction[] = [...READ, 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'];
/** Actions that apply to an index ARN; item reads and writes address the table. */
const INDEX_ACTIONS: ReadonlySet<DynamoAction> = new Set(['Query', 'Scan']);

/** The item actions and index names a `TableAccess` stands for on table `name`. */
export function tableAccessOf(
  name: TableName,
  access: TableAccess,
): { actions: DynamoAction[]; indexes: string[] } {
  const all = TABLES[name].globalSecondaryIndexes.map((index) => index.indexName);
  if (access === 'read') return { actions: [...READ], indexes: all };
  if (access === 'write') return { actions: [...WRITE], indexes: all };
  const { actions, indexes } = Array.isArray(access)
    ? { actions: access as readonly DynamoAction[], indexes: [] as readonly string[] }
    : (access as { actions: readonly DynamoAction[]; indexes: readonly string[] });
  const unknown = indexes.filter((index) => !all.includes(index));
  if (unknown.length > 0)
    throw new ValidationError(
      `table ${name}: unknown index ${JSON.stringify(unknown)} (the table has ${JSON.stringify(all)})`,
    );
  if (actions.length === 0) throw new ValidationError(`table ${name}: access lists no action`);
  if (indexes.length > 0 && !actions.some((a) => INDEX_ACTIONS.has(a)))
    throw new ValidationError(
      `table ${name}: indexes ${JSON.stringify(indexes)} need Query or Scan among the actions ${JSON.stringify(actions)}`,
    );
  return { actions: [...new Set(actions)], indexes: [...new Set(indexes)] };
}

/**
 * Every table of `shared/data/tables.ts` (`TABLES`), so the deployed keys, indexes and TTL
 * cannot drift from what the repositories and the local run use. Each table: on-demand billing,
 * point-in-time recovery, deletion protection, TTL where the spec has one, and encryption at rest
 * with the AWS-managed key (`aws/dynamodb`): a customer key per region would have to be created,
 * granted and referenced across regions for every replica, while the AWS-managed key gives the
 * same at-rest protection, is rotated by AWS and is logged in CloudTrail. Global-table replicas
 * go to `replicaRegions` (the standby), also with PITR.
 *
 * Grants are by intent (`grant(table, role, access)`, see `TableAccess`): item actions on the
 * table ARN, Query/Scan on the named index ARNs only (never `index/*`), and never Scan,
 * DescribeTable or a batch action unless the function's manifest asks for it.
 */
export class Tables extends Construct {
  public readonly prefix: string;
  public readonly names: TableNames;
  private readonly tables = new Map<TableName, dynamodb.ITableV2>();

  constructor(scope: Construct, id: string, props: TablesProps) {
    super(scope, id);
    this.prefix = props.prefix;
    this.names = tableNamesFromPrefix(props.prefix);
    const mode = props.mode ?? 'create';
    const replicaRegions = [...(props.replicaRegions ?? [])];
    const region = Stack.of(this).region;
    if (mode === 'import' && replicaRegions.length > 0)
      throw new ValidationError(
        `Tables: replicaRegions ${JSON.stringify(replicaRegions)} need mode 'create'`,
      );
    if (replicaRegions.includes(region))
      throw new ValidationError(`Tables: replica region ${region} is the stack's own region`);

    const only = props.only ?? TABLE_NAMES;
    const unknown = only.filter((name) => !TABLE_NAMES.includes(name));
    if (unknown.length > 0) throw new ValidationError(`Tables: unknown tables ${JSON.stringify(unknown)}`);
    for (const name of TABLE_NAMES.filter((t) => only.includes(t))) {
      const spec = TABLES[name];
      const id = pascal(name);
      if (mode === 'import') {
        this.tables.set(
          name,
          dynamodb.TableV2.fromTableAttributes(this, id, {
            tableName: this.names[name],
            globalIndexes: spec.globalSecondaryIndexes.map((index) => index.indexName),
          }),
        );
        continue;
      }
      const table = new dynamodb.TableV2(this, id, {
        tableName: this.names[name],
        partitionKey: attribute(spec.partitionKey),
        sortKey: spec.sortKey ? attribute(spec.sortKey) : undefined,
        billing: dynamodb.Billing.onDemand(),
        encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: props.deletionProtection ?? true,
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
        timeToLiveAttribute: spec.ttlAttribute,
        globalSecondaryIndexes: spec.globalSecondaryIndexes.map((index) => ({
          indexName: index.indexName,
          partitionKey: attribute(index.partitionKey),
          sortKey: index.sortKey ? attribute(index.sortKey) : undefined,
          projectionType:
            index.projection === 'ALL' ? dynamodb.ProjectionType.ALL : dynamodb.ProjectionType.KEYS_ONLY,
        })),
        replicas: replicaRegions.map((replicaRegion) => ({
          region: replicaRegion,
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
          deletionProtection: props.deletionProtection ?? true,
        })),
      });
      this.tables.set(name, table);
    }
  }

  public table(name: TableName): dynamodb.ITableV2 {
    const table = this.tables.get(name);
    if (!table)
      throw new ValidationError(
        `Tables: table ${JSON.stringify(name)} is not deployed (deployed: ${[...this.tables.keys()].join(', ')})`,
      );
    return table;
  }

  /** The tables this construct deployed (or imported). */
  public get deployed(): TableName[] {
    return [...this.tables.keys()];
  }

  /**
   * The statements granting `access` on one table and the indexes it names, by exact ARN: item
   * actions on the table, Query/Scan on each named index.
   */
  public statements(name: TableName, access: TableAccess): iam.PolicyStatement[] {
    const table = this.table(name);
    const { actions, indexes } = tableAccessOf(name, access);
    const statements = [
      new iam.PolicyStatement({
        sid: `${pascal(name)}Table`,
        actions: actions.map((a) => `dynamodb:${a}`),
        resources: [table.tableArn],
      }),
    ];
    const indexActions = actions.filter((a) => INDEX_ACTIONS.has(a));
    if (indexes.length > 0)
      statements.push(
        new iam.PolicyStatement({
          sid: `${pascal(name)}Indexes`,
          actions: indexActions.map((a) => `dynamodb:${a}`),
          resources: indexes.map((index) => `${table.tableArn}/index/${index}`),
        }),
      );
    return statements;
  }

  /** Grant `access` on one table and the indexes it names (see `statements`). */
  public grant(name: TableName, grantee: iam.IGrantable, access: TableAccess): void {
    for (const statement of this.statements(name, access))
      grantee.grantPrincipal.addToPrincipalPolicy(statement);
  }
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function attribute(key: KeyAttribute): dynamodb.Attribute {
  return {
    name: key.name,
    type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
  };
}

/** Every table at least one of `specs` is granted, in `TABLES` order. */
export function tablesUsedBy(
  specs: readonly { readonly tables: Partial<Record<TableName, unknown>> }[],
): TableName[] {
  const used = new Set(specs.flatMap((spec) => Object.keys(spec.tables) as TableName[]));
  return TABLE_NAMES.filter((name) => used.has(name));
}
