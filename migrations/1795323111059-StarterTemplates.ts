import { MigrationInterface, QueryRunner } from 'typeorm';

/** Written by hand: the starter set of global templates, in the shape of an agent version's config. */
const STARTERS = [
  {
    id: '6f1d2c1e-7a43-4c55-9a0e-0c7a51a00001',
    name: 'customer_support',
    description: 'Answers customer questions from your documentation and hands over to a person when unsure',
    tags: ['support', 'starter'],
    config: {
      description: 'Customer support agent',
      system_prompt:
        'You are a friendly customer support agent. Answer from the knowledge you are given, ask a ' +
        'clarifying question when a request is ambiguous, never invent policies or prices, and offer ' +
        'to hand the conversation to a person when you cannot help.',
      model: null,
      tools: [],
      memory: null,
      knowledge: null,
      config: { temperature: 0.3, max_steps: 8 },
      metadata: { starter: true },
    },
  },
  {
    id: '6f1d2c1e-7a43-4c55-9a0e-0c7a51a00002',
    name: 'sales_assistant',
    description: 'Qualifies leads, explains plans and books follow-ups',
    tags: ['sales', 'starter'],
    config: {
      description: 'Sales assistant',
      system_prompt:
        'You are a helpful sales assistant. Learn what the customer needs, recommend the plan that ' +
        'fits, be honest about limitations, and offer to book a call with the sales team.',
      model: null,
      tools: [],
      memory: null,
      knowledge: null,
      config: { temperature: 0.6, max_steps: 6 },
      metadata: { starter: true },
    },
  },
  {
    id: '6f1d2c1e-7a43-4c55-9a0e-0c7a51a00003',
    name: 'technical_support',
    description: 'Troubleshoots technical problems step by step and collects what engineering needs',
    tags: ['support', 'technical', 'starter'],
    config: {
      description: 'Technical support agent',
      system_prompt:
        'You are a technical support engineer. Diagnose problems step by step: ask for versions, ' +
        'error messages and what was tried, suggest one check at a time, and summarise the findings ' +
        'for an escalation when the problem is not solved.',
      model: null,
      tools: [],
      memory: null,
      knowledge: null,
      config: { temperature: 0.2, max_steps: 12 },
      metadata: { starter: true },
    },
  },
];

export class StarterTemplates1795323111059 implements MigrationInterface {
  name = 'StarterTemplates1795323111059';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const starter of STARTERS) {
      await queryRunner.query(
        `INSERT INTO "templates" ("id", "tenant_id", "name", "description", "tags", "min_tier", "version", "config", "created_by")
         VALUES ($1, NULL, $2, $3, $4::jsonb, 'free', 1, $5::jsonb, 'system')
         ON CONFLICT DO NOTHING`,
        [
          starter.id,
          starter.name,
          starter.description,
          JSON.stringify(starter.tags),
          JSON.stringify(starter.config),
        ],
      );
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "templates" WHERE "id" = ANY($1::uuid[])`, [
      STARTERS.map((starter) => starter.id),
    ]);
  }
}
