import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag acknowledgements in one place. Every acknowledgement names exactly what it covers (a
 * rule on one construct, or one wildcard finding such as `AwsSolutions-IAM5[Resource::*]`) and
 * why; nothing is acknowledged for a whole stack.
 */
export function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({
    id: rule.startsWith('AwsSolutions-') ? rule : `AwsSolutions-${rule}`,
    reason,
  });
}

/**
 * Flatten a (possibly tokenised) resource ARN the way cdk-nag names IAM5 findings:
 * `${X}` → `<X>`, `Ref` → `<X>`, `GetAtt` → `<X.Attr>`, `Join` joined.
 */
export function nagResourceName(scope: IConstruct, resource: string): string {
  const visit = (node: unknown): string => {
    if (node === undefined) return '';
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
    if (node !== null && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      const join = o['Fn::Join'];
      if (Array.isArray(join)) {
        const [delimiter, items] = join as [string, unknown[]];
        return items.map(visit).join(delimiter);
      }
      if (o['Fn::Sub'] !== undefined) return visit(o['Fn::Sub']);
      const getAtt = o['Fn::GetAtt'];
      if (Array.isArray(getAtt)) return `<${visit(getAtt[0])}.${visit(getAtt[1])}>`;
      if (o['Fn::ImportValue'] !== undefined) return visit(o['Fn::ImportValue']);
      if (o.Ref !== undefined) return `<${visit(o.Ref)}>`;
    }
    return JSON.stringify(node);
  };
  return visit(Stack.of(scope).resolve(resource));
}

/**
 * Acknowledge the IAM5 findings of wildcard resources in a statement granted to `principalScope`
 * (a role, or the construct owning its default policy). `reason` must name the actions and why
 * the wildcard is needed.
 */
export function acknowledgeWildcardResources(
  principalScope: IConstruct,
  resources: readonly string[],
  reason: string,
): void {
  for (const resource of resources) {
    const flat = nagResourceName(principalScope, resource);
    if (flat.includes('*')) acknowledge(principalScope, `AwsSolutions-IAM5[Resource::${flat}]`, reason);
  }
}
