import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AgentConfig } from '../agents/agent-config';
import { UUID_SHAPE } from '../../shared/http/uuid-param';

export interface AgentHead {
  id: string;
  name: string;
  currentVersion: number;
  labels: Record<string, number>;
}

export interface StoredVersion {
  agentId: string;
  name: string;
  version: number;
  config: AgentConfig;
  configHash: string;
}

/** A component as stored (secrets sealed), for expanding references. */
export interface StoredComponent {
  name: string;
  type: string;
  enabled: boolean;
  config: Record<string, unknown>;
}

/**
 * The read side of agent configurations for execution services: plain SQL over the agents tables,
 * every query filtered by tenant. Only active, undeleted agents exist here.
 */
@Injectable()
export class ResolvedConfigRepository {
  constructor(private readonly dataSource: DataSource) {}

  async findActiveAgent(tenantId: string, idOrName: string): Promise<AgentHead | null> {
    const byId = UUID_SHAPE.test(idOrName);
    const rows = (await this.dataSource.query(
      `SELECT a.id, a.name, a.current_version,
              COALESCE((SELECT jsonb_object_agg(l.label, l.version) FROM agent_labels l WHERE l.agent_id = a.id), '{}'::jsonb) AS labels
       FROM agents a
       WHERE a.tenant_id = $1 AND a.deleted_at IS NULL AND a.status = 'active' AND ${byId ? 'a.id = $2' : 'a.name = $2'}`,
      [tenantId, idOrName],
    )) as Array<{ id: string; name: string; current_version: number; labels: Record<string, number> }>;
    if (rows.length === 0) return null;
    return {
      id: rows[0].id,
      name: rows[0].name,
      currentVersion: rows[0].current_version,
      labels: rows[0].labels,
    };
  }

  async findVersion(tenantId: string, agentId: string, version: number): Promise<StoredVersion | null> {
    const rows = (await this.dataSource.query(
      `SELECT v.agent_id, a.name, v.version, v.config, v.config_hash
       FROM agent_versions v JOIN agents a ON a.id = v.agent_id
       WHERE v.tenant_id = $1 AND v.agent_id = $2 AND v.version = $3`,
      [tenantId, agentId, version],
    )) as Array<{
      agent_id: string;
      name: string;
      version: number;
      config: AgentConfig;
      config_hash: string;
    }>;
    const row = rows[0];
    return row
      ? {
          agentId: row.agent_id,
          name: row.name,
          version: row.version,
          config: row.config,
          configHash: row.config_hash,
        }
      : null;
  }

  /** The tenant's components by name: those named, or all of them. */
  async components(tenantId: string, names?: string[]): Promise<Map<string, StoredComponent>> {
    if (names && names.length === 0) return new Map();
    const rows = (await this.dataSource.query(
      `SELECT name, type, enabled, config FROM components
       WHERE tenant_id = $1 ${names ? 'AND name = ANY($2::text[])' : ''}`,
      names ? [tenantId, names] : [tenantId],
    )) as StoredComponent[];
    return new Map(rows.map((row) => [row.name, row]));
  }

  /** Every active agent at its latest version, with its labels, by name. */
  async listActive(tenantId: string): Promise<Array<StoredVersion & { labels: Record<string, number> }>> {
    const rows = (await this.dataSource.query(
      `SELECT a.id AS agent_id, a.name, v.version, v.config, v.config_hash,
              COALESCE((SELECT jsonb_object_agg(l.label, l.version) FROM agent_labels l WHERE l.agent_id = a.id), '{}'::jsonb) AS labels
       FROM agents a JOIN agent_versions v ON v.agent_id = a.id AND v.version = a.current_version
       WHERE a.tenant_id = $1 AND a.deleted_at IS NULL AND a.status = 'active'
       ORDER BY a.name`,
      [tenantId],
    )) as Array<{
      agent_id: string;
      name: string;
      version: number;
      config: AgentConfig;
      config_hash: string;
      labels: Record<string, number>;
    }>;
    return rows.map((row) => ({
      agentId: row.agent_id,
      name: row.name,
      version: row.version,
      config: row.config,
      configHash: row.config_hash,
      labels: row.labels,
    }));
  }
}
