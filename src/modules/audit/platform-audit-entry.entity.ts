import { Entity, Index } from 'typeorm';
import { AuditFields } from './audit-fields';

/**
 * What a platform operator did outside any tenant (platform service keys, which read every
 * tenant), e.g. `platform_key.created`. Rows are never updated.
 */
@Entity('platform_audit_log')
@Index('IDX_platform_audit_created', ['createdAt'])
export class PlatformAuditEntryEntity extends AuditFields {}
