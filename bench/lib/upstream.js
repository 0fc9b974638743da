'use strict';
/** A minimal OpenAI-compatible streaming upstream for the benches. */
const http = require('node:http');

/**
 * Answers every request with a streamed chat completion: a role chunk, `tokens` content chunks
 * (`tok0 `, `tok1 `, …) `tokenMs` apart (0: all at once), a stop chunk and `[DONE]`. Resolves
 * with the listening server.
 */
function startUpstream({ tokens, tokenMs = 0 }) {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta, finish = null) =>
        res.write(
          `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
        );
      let sent = 0;
      const next = () => {
        if (res.destroyed) return;
        while (sent < tokens) {
          chunk({ content: `tok${sent++} ` });
          if (tokenMs > 0) return void setTimeout(next, tokenMs);
        }
        chunk({}, 'stop');
        res.end('data: [DONE]\n\n');
      };
      chunk({ role: 'assistant', content: '' });
      next();
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

module.exports = { startUpstream };
