import { z } from 'zod';

/** Workload ids are used in DynamoDB keys, resource names and ARNs: keep them DNS-label-like. */
export const WorkloadId = z
  .string()
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    'must be 1-63 chars of a-z, 0-9 and -, not starting or ending with -',
  );

/** AWS region code, e.g. us-east-1, eu-west-2, ap-southeast-3, us-gov-west-1. */
export const Region = z
  .string()
  .regex(/^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d$/, 'must be an AWS region code such as us-east-1');

/** Epoch milliseconds (UTC). Every time inside the product is this; ISO strings only at the edges. */
export const EpochMs = z.number().int().nonnegative();

/** An ARN, checked loosely for shape and optionally for service. */
export const arn = (service?: string) =>
  z
    .string()
    .regex(
      service
        ? new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]*:\\d{12}:.+$`)
        : /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:.+$/,
      service ? `must be an ARN of service ${service}` : 'must be an ARN',
    );

export const Quantile = z.number().gt(0).lt(1);
export const Percent = z.number().int().min(0).max(100);
