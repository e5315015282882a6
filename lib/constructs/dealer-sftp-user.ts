import * as transfer from 'aws-cdk-lib/aws-transfer';
import { Construct } from 'constructs';
import { dealerPrefix } from './feed-storage.js';

export interface DealerSftpUserProps {
  /** The dealer id: the SFTP user name and the `feeds/<dealerId>` prefix. */
  readonly dealerId: string;
  /** OpenSSH public key lines the dealer logs in with (none: the user exists but cannot log in yet). */
  readonly publicKeys: readonly string[];
  /** Transfer Family server id. */
  readonly serverId: string;
  /** Feed bucket name. */
  readonly bucketName: string;
  /** ARN of the role all dealers' users share ({@link SftpUserRole}). */
  readonly roleArn: string;
  /** The session policy narrowing that role to this user's own folder ({@link sftpSessionPolicy}). */
  readonly sessionPolicy: string;
}

/**
 * One dealer's SFTP access: a service-managed Transfer Family user whose logical home `/` is
 * `/<bucket>/feeds/<dealerId>`, working with the shared SFTP role narrowed by its session policy
 * to that folder. No IAM resource per dealer.
 */
export class DealerSftpUser extends Construct {
  /** The Transfer Family user. */
  readonly user: transfer.CfnUser;

  constructor(scope: Construct, id: string, props: DealerSftpUserProps) {
    super(scope, id);
    this.user = new transfer.CfnUser(this, 'User', {
      serverId: props.serverId,
      userName: props.dealerId,
      role: props.roleArn,
      policy: props.sessionPolicy,
      homeDirectoryType: 'LOGICAL',
      homeDirectoryMappings: [{ entry: '/', target: `/${props.bucketName}/${dealerPrefix(props.dealerId)}` }],
      sshPublicKeys: props.publicKeys.length > 0 ? [...props.publicKeys] : undefined,
    });
  }
}
