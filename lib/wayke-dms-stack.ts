import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { ResolvedDealerConfig } from '../functions/core/dealer-config.js';
import { OperationalAlarms } from './constructs/alarms.js';
import { DealerSecrets } from './constructs/dealer-secrets.js';
import { DealerShard, shardDealers } from './constructs/dealer-shard.js';
import type { DealerSftpUser } from './constructs/dealer-sftp-user.js';
import { DmsDelivery } from './constructs/dms-delivery.js';
import { FeedStorage } from './constructs/feed-storage.js';
import { ImportPipeline } from './constructs/import-pipeline.js';
import { InboundAuthTable } from './constructs/inbound-auth.js';
import { writeDealersFile, type ServiceFunctionDefaults } from './constructs/service-function.js';
import { VehicleApi } from './constructs/vehicle-api.js';
import { WebhookIngest } from './constructs/webhook-ingest.js';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { WAYKE_ENDPOINTS, type AppContext } from './settings.js';
import { eventsMaxReceiveCount } from '../functions/core/events/retry-schedule.js';

export interface WaykeDmsStackProps extends StackProps {
  /** The validated dealer config with mapping profiles inlined (`loadDealerConfig`). */
  readonly dealers: ResolvedDealerConfig;
  /** Validated CDK context (`readAppContext`). */
  readonly settings: AppContext;
}

/**
 * The whole integration: feed storage and SFTP, the import pipeline, webhook ingest, DMS delivery,
 * dealer secrets and alarms, each its own construct under `lib/constructs/`.
 */
export class WaykeDmsStack extends Stack {
  readonly storage: FeedStorage;
  readonly secrets: DealerSecrets;
  /** Verifiers of the keys Wayke and the DMS present (webhook secret, Vehicle API key). */
  readonly inboundAuth: InboundAuthTable;
  /** Nested stacks with the per-dealer secrets and SFTP users (dealers hashed by id into 32 shards). */
  readonly dealerShards: readonly DealerShard[];
  readonly imports: ImportPipeline;
  readonly webhooks: WebhookIngest;
  readonly delivery: DmsDelivery;
  readonly vehicleApi: VehicleApi;
  readonly alarms: OperationalAlarms;

  constructor(scope: Construct, id: string, { settings, dealers, ...stackProps }: WaykeDmsStackProps) {
    super(scope, id, {
      description: 'wayke-dms: dealer feeds into Wayke, Wayke events into dealer DMS',
      ...stackProps,
    });
    const logRetention = settings.logRetentionDays as logs.RetentionDays;

    const defaults: ServiceFunctionDefaults = {
      dealersFile: writeDealersFile(dealers),
      secretPrefix: settings.secretPrefix,
      wayke: WAYKE_ENDPOINTS[settings.waykeEnvironment],
      logLevel: settings.logLevel,
      logRetention,
    };

    this.storage = new FeedStorage(this, 'FeedStorage', {
      archiveRetentionDays: settings.archiveRetentionDays,
      noncurrentVersionRetentionDays: settings.noncurrentVersionRetentionDays,
      reportRetentionDays: settings.reportRetentionDays,
      outboxRetentionDays: settings.outboxRetentionDays,
      sftpHostKeySecret: settings.sftpHostKeySecret,
      sftpEndpointType: settings.sftpEndpoint,
      sftpAllowedCidrs: settings.sftpAllowedCidrs,
      sftpHostname: settings.sftpHostname
        ? { name: settings.sftpHostname, hostedZoneId: settings.sftpHostedZoneId }
        : undefined,
      logRetention,
    });
    this.secrets = new DealerSecrets(this, 'DealerSecrets', {
      prefix: settings.secretPrefix,
    });
    this.inboundAuth = new InboundAuthTable(this, 'InboundAuth');
    this.dealerShards = [...shardDealers(dealers.dealers)].map(
      ([index, slice]) =>
        new DealerShard(this, `Dealers${index}`, { dealers: slice, storage: this.storage, secrets: this.secrets }),
    );
    this.imports = new ImportPipeline(this, 'ImportPipeline', {
      defaults,
      storage: this.storage,
      secrets: this.secrets,
      concurrency: settings.importConcurrency,
    });
    this.webhooks = new WebhookIngest(this, 'WebhookIngest', {
      defaults,
      inboundAuth: this.inboundAuth,
      logRetention,
      domain:
        settings.apiDomain && settings.apiCertificateArn
          ? { name: settings.apiDomain, certificateArn: settings.apiCertificateArn }
          : undefined,
      eventsMaxReceiveCount: eventsMaxReceiveCount(settings.dmsRetrySchedule),
      snapshotTable: this.imports.snapshotTable,
    });
    this.delivery = new DmsDelivery(this, 'DmsDelivery', {
      defaults,
      eventsQueue: this.webhooks.eventsQueue,
      eventsDeadLetterQueue: this.webhooks.eventsDeadLetterQueue,
      storage: this.storage,
      secrets: this.secrets,
      snapshotTable: this.imports.snapshotTable,
      retrySchedule: settings.dmsRetrySchedule,
    });
    this.vehicleApi = new VehicleApi(this, 'VehicleApi', {
      defaults,
      httpApi: this.webhooks.api,
      stage: this.webhooks.stage,
      secrets: this.secrets,
      inboundAuth: this.inboundAuth,
      snapshotTable: this.imports.snapshotTable,
      dedupeTable: this.delivery.dedupeTable,
      bucket: this.storage.bucket,
    });
    this.alarms = new OperationalAlarms(this, 'Alarms', {
      deadLetterQueues: {
        Work: this.imports.workDeadLetterQueue,
        Trigger: this.imports.triggerDeadLetterQueue,
        Events: this.webhooks.eventsDeadLetterQueue,
        VehicleChanges: this.vehicleApi.deadLetterQueue,
      },
      functions: {
        ImportScheduler: this.imports.scheduler,
        ImportWorker: this.imports.worker,
        Webhook: this.webhooks.handler,
        DmsWriter: this.delivery.writer,
        VehicleApi: this.vehicleApi.handler,
        VehicleWorker: this.vehicleApi.worker,
      },
      workQueue: this.imports.workQueue,
      eventsQueue: this.webhooks.eventsQueue,
      webhookApi: this.webhooks.api,
      email: settings.alarmEmail,
    });
    this.vehicleApi.addAlarms(this.webhooks.api, new SnsAction(this.alarms.topic));

    this.addOutputs(settings);
  }

  /** The stack's outputs: what the operator registers in Wayke, hands dealers, or subscribes to. */
  private addOutputs(settings: AppContext): void {
    const outputs: Record<string, { value: string; description: string }> = {
      WebhookUrl: {
        value: `${this.webhooks.webhookBaseUrl}{dealerId}`,
        description: "Callback URL to register in Wayke's Integration menu (replace {dealerId})",
      },
      SftpEndpoint: {
        value: this.storage.sftpEndpoint,
        description: 'SFTP host; user name = dealer id, upload into /inbound/',
      },
      SftpServerId: { value: this.storage.server.attrServerId, description: 'Transfer Family server id' },
      FeedBucketName: { value: this.storage.bucket.bucketName, description: 'Feed bucket (feeds/<dealerId>/…)' },
      WorkQueueUrl: {
        value: this.imports.workQueue.queueUrl,
        description: 'Import work queue (one message per dealer)',
      },
      WorkDeadLetterQueueUrl: { value: this.imports.workDeadLetterQueue.queueUrl, description: 'Failed imports' },
      EventsQueueUrl: {
        value: this.webhooks.eventsQueue.queueUrl,
        description: 'Wayke events for the DMS writer (FIFO)',
      },
      EventsDeadLetterQueueUrl: {
        value: this.webhooks.eventsDeadLetterQueue.queueUrl,
        description: 'Undeliverable DMS events (FIFO)',
      },
      TriggerDeadLetterQueueUrl: {
        value: this.imports.triggerDeadLetterQueue.queueUrl,
        description: 'Schedule/upload triggers that never reached the scheduler',
      },
      SnapshotTableName: { value: this.imports.snapshotTable.tableName, description: 'Import snapshots and leases' },
      DedupeTableName: { value: this.delivery.dedupeTable.tableName, description: 'Delivered DMS event ids' },
      EventArchiveBucketName: {
        value: this.delivery.archiveBucket.bucketName,
        description: 'Delivered DMS events, 30 days (wayke-dms replay)',
      },
      AlarmTopicArn: { value: this.alarms.topic.topicArn, description: 'Subscribe to receive alarms' },
      VehicleApiUrl: {
        value: this.vehicleApi.url,
        description: 'Vehicle API base URL for DMS vendors (OpenAPI at /openapi.json)',
      },
      VehicleChangesDeadLetterQueueUrl: {
        value: this.vehicleApi.deadLetterQueue.queueUrl,
        description: 'Vehicle API changes that could not be applied (FIFO)',
      },
      DealerSecretPrefix: {
        value: settings.secretPrefix,
        description: 'Dealer credential secrets (Wayke, DMS): <prefix><dealerId>',
      },
      InboundAuthTableName: {
        value: this.inboundAuth.table.tableName,
        description: 'Inbound-key verifiers per dealer (wayke-dms inbound-auth set --table <this>)',
      },
    };
    if (this.storage.vpcEndpoint) {
      outputs.SftpIpAddresses = {
        value: Fn.join(
          ',',
          this.storage.vpcEndpoint.elasticIps.map((eip) => eip.ref),
        ),
        description: "The SFTP server's fixed addresses, for dealers' firewall allow-lists",
      };
    }
    if (settings.sftpHostname && !settings.sftpHostedZoneId) {
      outputs.SftpHostnameTarget = {
        value: this.storage.sftpServerHost,
        description: 'Point a CNAME for sftpHostname here',
      };
    }
    if (this.webhooks.domainName) {
      outputs.WebhookDomainTarget = {
        value: this.webhooks.domainName.regionalDomainName,
        description: 'Point a CNAME (or Route 53 alias) for apiDomain here',
      };
    }
    for (const [key, output] of Object.entries(outputs)) new CfnOutput(this, key, output);
  }

  /** A dealer's SFTP user, if it has an `sftp` block. */
  sftpUser(dealerId: string): DealerSftpUser | undefined {
    for (const shard of this.dealerShards) {
      const user = shard.sftpUsers.get(dealerId);
      if (user) return user;
    }
    return undefined;
  }
}
