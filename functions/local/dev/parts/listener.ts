/** The console's channel: what the local run tells the user as it happens (`console.ts` prints it). */
import type { ImportReport } from '../../../core/import/report.js';
import type { DemoDmsDelivery } from '../demo-dms.js';

export interface DevStackListener {
  importStarted?(input: { dealerId: string; trigger: string; key?: string }): void;
  report?(report: ImportReport): void;
  importFailed?(input: { dealerId: string; error: string }): void;
  /**
   * An announced import ended without a report: nothing new to import, or another run of the
   * dealer holds the lease. `behindRunningImport`: an import of the dealer was running in this
   * local run at the time (it takes an upload that landed before it ends, and the trigger comes
   * back after it).
   */
  importSkipped?(input: { dealerId: string; trigger: string; behindRunningImport: boolean }): void;
  upload?(input: { dealerId: string; key: string; size: number }): void;
  delivery?(delivery: DemoDmsDelivery): void;
  outbox?(input: { dealerId: string; key: string }): void;
  /** A dealer's DMS endpoint has been failing for more than 15 minutes (the `DmsEndpointFailing` alarm). */
  dmsEndpointFailing?(input: { dealerId: string; since: string }): void;
  /** A dead-letter queue holds more messages than before (checked every few seconds). */
  deadLetters?(input: { queue: 'work' | 'events'; queueUrl: string; count: number; redrive: string }): void;
}
