/**
 * A small IAM evaluator for template tests that assert effect ("the webhook role cannot read
 * Wayke credentials"), not presence: resolves CloudFormation intrinsics to concrete strings and
 * decides Allow/Deny for one action on one resource with a request context. It covers what this
 * stack's policies use (wildcards in Action/Resource, policy variables, StringEquals, StringLike,
 * ArnLike, Bool); a statement with another condition operator, or a condition key the request
 * lacks, does not apply.
 */
export const ACCOUNT = '123456789012';
export const REGION = 'eu-north-1';

export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly Resource?: string | string[];
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

/** Resolves Ref / Fn::GetAtt / Fn::Join; `refs` names parameters and resources (`Id` or `Id.Attr`). */
export function resolveCfn(value: unknown, refs: Record<string, string> = {}): unknown {
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': REGION,
    'AWS::AccountId': ACCOUNT,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': 'WaykeDms',
  };
  if (Array.isArray(value)) return value.map((item) => resolveCfn(item, refs));
  if (!value || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  if ('Ref' in object) return refs[object.Ref as string] ?? pseudo[object.Ref as string] ?? `<${String(object.Ref)}>`;
  if ('Fn::GetAtt' in object) {
    const [id, attr] = object['Fn::GetAtt'] as [string, string];
    return refs[`${id}.${attr}`] ?? `<${id}.${attr}>`;
  }
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => String(resolveCfn(part, refs))).join(separator);
  }
  return Object.fromEntries(Object.entries(object).map(([key, child]) => [key, resolveCfn(child, refs)]));
}

const glob = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.split('?').map(escape).join('.'))
      .join('.*')}$`,
  );
const escape = (text: string) => text.replace(/[.+^${}()|[\]\\]/g, '\\$&');
const substitute = (text: string, vars: Record<string, string>) =>
  text.replace(/\$\{([^}]+)\}/g, (all, name: string) => vars[name] ?? all);

export interface Request {
  readonly action: string;
  readonly resource: string;
  /** Condition keys of the request (`aws:SourceAccount`, `s3:prefix`…). */
  readonly context?: Record<string, string>;
  /** Policy variables (`transfer:UserName`…). */
  readonly vars?: Record<string, string>;
}

function conditionsHold(statement: Statement, request: Request): boolean {
  for (const [operator, entries] of Object.entries(statement.Condition ?? {})) {
    for (const [key, expected] of Object.entries(entries)) {
      const actual = request.context?.[key];
      if (actual === undefined) return false;
      const values = [expected].flat().map((v) => substitute(String(v), request.vars ?? {}));
      const match =
        operator === 'StringEquals' || operator === 'Bool'
          ? values.includes(actual)
          : operator === 'StringLike' || operator === 'ArnLike'
            ? values.some((v) => glob(v).test(actual))
            : false;
      if (!match) return false;
    }
  }
  return true;
}

function applies(statement: Statement, request: Request): boolean {
  const actions = [statement.Action ?? []].flat();
  const resources = [statement.Resource ?? []].flat().map((r) => substitute(r, request.vars ?? {}));
  return (
    actions.some((a) => glob(a).test(request.action)) &&
    resources.some((r) => glob(r).test(request.resource)) &&
    conditionsHold(statement, request)
  );
}

/** Allowed by `statements`: some Allow applies and no Deny does. */
export function allows(statements: readonly Statement[], request: Request): boolean {
  if (statements.some((s) => s.Effect === 'Deny' && applies(s, request))) return false;
  return statements.some((s) => s.Effect === 'Allow' && applies(s, request));
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** Every statement of the IAM policies attached to the role `roleId` in `resources`. */
export function roleStatements(resources: Resources, roleId: string, refs: Record<string, string> = {}): Statement[] {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles).includes(`"${roleId}"`))
    .flatMap((r) => (resolveCfn(r.Properties!.PolicyDocument, refs) as { Statement: Statement[] }).Statement);
}
