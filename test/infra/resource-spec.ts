import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { PropertyType, ResourceProperties, SpecDatabase } from '@aws-cdk/service-spec-types';

/**
 * Checks synthesized templates against the CloudFormation resource specification in
 * `@aws-cdk/aws-service-spec`, the database the CDK's own L1 classes are generated from: every
 * resource type exists, every property (at any depth of a typed structure) is one the type
 * declares, and every required property is present. An escape hatch (`addPropertyOverride`) or a
 * raw `Cfn*` property with a typo then fails here rather than at `cdk deploy`.
 *
 * What it does not check: values (enums, patterns, ranges), or anything inside intrinsic
 * functions, whose value CloudFormation resolves at deploy time.
 */
type SpecProperties = ResourceProperties;
type SpecType = PropertyType;

let cached: SpecDatabase | undefined;
/** Loading the database takes a few seconds: once per jest worker. */
export function specDatabase(): SpecDatabase {
  cached ??= loadAwsServiceSpecSync();
  return cached;
}

export interface TemplateJson {
  Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

/** Types whose properties are free-form by design (custom resources, CDK's own metadata). */
function freeForm(type: string): boolean {
  return (
    type.startsWith('Custom::') ||
    type === 'AWS::CloudFormation::CustomResource' ||
    type === 'AWS::CDK::Metadata'
  );
}

/** `{ Ref }`, `{ "Fn::...": ... }`, `{ Condition }`: resolved by CloudFormation, not checkable here. */
function isIntrinsic(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return (
    keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || (keys[0] ?? '').startsWith('Fn::'))
  );
}

/** Every problem as "LogicalId (Type): where: what", empty when the template conforms. */
export function specViolations(template: TemplateJson, db: SpecDatabase = specDatabase()): string[] {
  const problems: string[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    const where = `${logicalId} (${resource.Type})`;
    if (freeForm(resource.Type)) continue;
    const found = db.lookup('resource', 'cloudFormationType', 'equals', resource.Type);
    if (found.length === 0) {
      problems.push(`${where}: no such resource type`);
      continue;
    }
    const spec = found.only();
    checkObject(db, spec.properties, resource.Properties ?? {}, `${where}: Properties`, problems);
  }
  return problems;
}

function checkObject(
  db: SpecDatabase,
  properties: SpecProperties,
  value: Record<string, unknown>,
  path: string,
  problems: string[],
): void {
  for (const [name, property] of Object.entries(properties)) {
    if (property.required && !(name in value)) problems.push(`${path}: required property ${name} is missing`);
  }
  for (const [name, inner] of Object.entries(value)) {
    const property = properties[name];
    if (!property) {
      problems.push(`${path}: unknown property ${name}`);
      continue;
    }
    // A value may match the current type or one the property had before.
    const types = [property.type, ...(property.previousTypes ?? [])];
    const attempts = types.map((type) => {
      const found: string[] = [];
      checkValue(db, type, inner, `${path}.${name}`, found);
      return found;
    });
    if (!attempts.some((found) => found.length === 0)) problems.push(...(attempts[0] ?? []));
  }
}

function checkValue(
  db: SpecDatabase,
  type: SpecType,
  value: unknown,
  path: string,
  problems: string[],
): void {
  if (isIntrinsic(value)) return;
  switch (type.type) {
    case 'ref': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
      const definition = db.get('typeDefinition', type.reference);
      checkObject(db, definition.properties, value as Record<string, unknown>, path, problems);
      return;
    }
    case 'array':
      if (Array.isArray(value))
        for (const [i, item] of value.entries())
          checkValue(db, type.element, item, `${path}[${i}]`, problems);
      return;
    case 'map':
      if (value !== null && typeof value === 'object' && !Array.isArray(value))
        for (const [key, item] of Object.entries(value))
          checkValue(db, type.element, item, `${path}.${key}`, problems);
      return;
    case 'union': {
      const attempts = type.types.map((member) => {
        const found: string[] = [];
        checkValue(db, member, value, path, found);
        return found;
      });
      if (!attempts.some((found) => found.length === 0)) problems.push(...(attempts[0] ?? []));
      return;
    }
    default:
      // Primitives, tags and free-form JSON: values are CloudFormation's to judge.
      return;
  }
}
