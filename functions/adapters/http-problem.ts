import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Problem } from '../core/vehicle-api/schemas.js';

/**
 * RFC 9457 problem details for the Vehicle API. Each kind has a stable `type` URI the DMS can
 * switch on; `detail` never quotes a request body or a secret.
 */
export const PROBLEM_TYPES = {
  400: 'malformed-request',
  401: 'unauthorized',
  403: 'source-not-api',
  404: 'not-found',
  409: 'conflict',
  413: 'too-large',
  415: 'unsupported-media-type',
  422: 'invalid-vehicle',
  429: 'rate-limited',
  500: 'internal-error',
  503: 'unavailable',
} as const;
export type ProblemStatus = keyof typeof PROBLEM_TYPES;

const TITLES: Record<ProblemStatus, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const PROBLEM_TYPE_BASE = 'https://wayke-dms.dev/problems/';

export function problem(
  status: ProblemStatus,
  detail: string,
  extra: {
    readonly errors?: Problem['errors'];
    readonly headers?: Record<string, string>;
    readonly instance?: string;
    readonly type?: string;
  } = {},
): APIGatewayProxyStructuredResultV2 {
  const body: Problem = {
    type: `${PROBLEM_TYPE_BASE}${extra.type ?? PROBLEM_TYPES[status]}`,
    title: TITLES[status],
    status,
    detail,
    ...(extra.instance ? { instance: extra.instance } : {}),
    ...(extra.errors ? { errors: extra.errors } : {}),
  };
  return {
    statusCode: status,
    headers: { 'content-type': 'application/problem+json', ...extra.headers },
    body: JSON.stringify(body),
  };
}

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
