'use strict';
/**
 * The least a chat server that keeps its runs must do, as a floor for the chat bench:
 *   node minimal-chat-server.js <port> <upstream base URL> <database URL>
 * Bare node:http and pg with prepared statements, no framework, no authentication or validation:
 * for each POST it starts the model call and, beside it, stores the run (one INSERT, refused past
 * a limit of active runs, counted through a partial index); once both answered it streams the run
 * as SSE (run_started, a content_delta per token, run_completed), writes the events of all runs
 * in one INSERT every 50 ms, and stores the run's end before the final event. Prints "ready".
 */
const http = require('node:http');
const { URL } = require('node:url');
const { Pool } = require('pg');
const { onSseFrames } = require('./sse-frames');

const [portArg, upstreamArg, databaseUrl] = process.argv.slice(2);
const upstream = new URL(`${upstreamArg}/chat/completions`);
const pool = new Pool({ connectionString: databaseUrl, max: 10 });
const agent = new http.Agent({ keepAlive: true });
const TENANT = '00000000-0000-0000-0000-000000000001';
const FLUSH_MS = 50;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS floor_runs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(), tenant_id uuid NOT NULL, input text NOT NULL,
    status text NOT NULL, response text, created_at timestamptz NOT NULL DEFAULT now());
  CREATE INDEX IF NOT EXISTS floor_runs_active ON floor_runs (tenant_id) WHERE status = 'running';
  CREATE TABLE IF NOT EXISTS floor_events (
    run_id uuid NOT NULL, seq integer NOT NULL, type text NOT NULL, data jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (run_id, seq));`;

const ADMIT = {
  name: 'admit',
  text: `INSERT INTO floor_runs (tenant_id, input, status)
         SELECT $1, $2, 'running'
         WHERE (SELECT count(*) FROM floor_runs WHERE tenant_id = $1 AND status = 'running') < 100000
         RETURNING id`,
};
const EVENTS = {
  name: 'events',
  text: `INSERT INTO floor_events (run_id, seq, type, data)
         SELECT (e->>'r')::uuid, (e->>'s')::int, e->>'y', e->'d' FROM jsonb_array_elements($1::jsonb) AS e`,
};
const FINISH = {
  name: 'finish',
  text: `UPDATE floor_runs SET status = 'completed', response = $2 WHERE id = $1`,
};

let pending = [];
setInterval(() => {
  if (pending.length === 0) return;
  const batch = JSON.stringify(pending);
  pending = [];
  pool.query({ ...EVENTS, values: [batch] }).catch((error) => console.error(error.message));
}, FLUSH_MS).unref();

function chat(req, res) {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (text) => (body += text));
  req.on('end', () => {
    const { message } = JSON.parse(body);
    const call = http.request(upstream, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json' },
    });
    call.end(JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: message }] }));
    const admitted = pool.query({ ...ADMIT, values: [TENANT, message] });
    call.on('response', async (answer) => {
      const runId = (await admitted).rows[0].id;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      let seq = 0;
      const frame = (type, data) => {
        seq++;
        pending.push({ r: runId, s: seq, y: type, d: data });
        return `id: ${seq}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
      };
      res.write(frame('run_started', { run_id: runId }));
      let text = '';
      onSseFrames(
        answer,
        (message) => {
          if (!message.startsWith('data: ')) return;
          const data = message.slice(6);
          if (data === '[DONE]') return;
          const content = JSON.parse(data).choices[0]?.delta?.content;
          if (!content) return;
          text += content;
          res.write(frame('content_delta', { run_id: runId, content }));
        },
        async () => {
          await pool.query({ ...FINISH, values: [runId, text] });
          res.end(frame('run_completed', { run_id: runId, response: text }));
        },
      );
    });
  });
}

pool.query(SCHEMA).then(() => {
  const server = http.createServer((req, res) => {
    if (req.method === 'POST') return chat(req, res);
    res.end('ok');
  });
  server.keepAliveTimeout = 60_000;
  server.listen(Number(portArg), '127.0.0.1', () => console.log('ready'));
  process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
});
