/**
 * Engines for the import tests: dynalite (DynamoDB), s3rver (S3), each in-process on 127.0.0.1
 * with a random port, started once per test file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { ensureSnapshotTable } from '../../functions/adapters/dynamo-snapshot-store.js';
import { acceptS3CopySources } from '../../functions/local/dev/engines.js';

const require = createRequire(import.meta.url);
export const REGION = 'eu-north-1';
export const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface Dynamo {
  readonly url: string;
  readonly client: DynamoDBClient;
  /** A fresh table per call, so tests in one file stay independent. */
  table(): Promise<string>;
  stop(): Promise<void>;
}

let tables = 0;

export async function startDynamo(): Promise<Dynamo> {
  const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint: url, region: REGION, credentials: CREDENTIALS });
  return {
    url,
    client,
    async table() {
      const name = `snapshots-${process.pid}-${++tables}`;
      await ensureSnapshotTable(client, name);
      return name;
    },
    async stop() {
      client.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface S3 {
  readonly url: string;
  readonly client: S3Client;
  bucket(): Promise<string>;
  stop(): Promise<void>;
}

let buckets = 0;

export async function startS3(): Promise<S3> {
  const directory = mkdtempSync(join(tmpdir(), 's3rver-'));
  const S3rver = require('s3rver') as new (
    options: Record<string, unknown>,
  ) => { run(): Promise<AddressInfo>; close(): Promise<void>; httpServer?: Server };
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    allowMismatchedSignatures: true,
    vhostBuckets: false,
  });
  const address = await server.run();
  if (server.httpServer) acceptS3CopySources(server.httpServer);
  const url = `http://127.0.0.1:${address.port}`;
  const client = new S3Client({
    endpoint: url,
    region: REGION,
    credentials: CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    url,
    client,
    async bucket() {
      const name = `feeds-${process.pid}-${++buckets}`;
      await client.send(new CreateBucketCommand({ Bucket: name }));
      return name;
    },
    async stop() {
      client.destroy();
      server.httpServer?.closeAllConnections?.();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** A clock tests can move. */
export class TestClock {
  constructor(private current = new Date('2026-11-29T01:00:00.000Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}
