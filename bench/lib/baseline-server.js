'use strict';
/**
 * A baseline server answering GET with fixed JSON bytes from memory:
 *   node baseline-server.js <node-http|express-raw|express-json> <port> <base64 body>
 * Prints "ready" once listening.
 */
const http = require('node:http');

const [kind, portArg, bodyBase64] = process.argv.slice(2);
const port = Number(portArg);
const body = Buffer.from(bodyBase64, 'base64');

function listen(server) {
  server.keepAliveTimeout = 5_000;
  server.listen(port, '127.0.0.1', () => console.log('ready'));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

if (kind === 'node-http') {
  listen(
    http.createServer((req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': body.length,
      });
      res.end(body);
    }),
  );
} else if (kind === 'express-raw' || kind === 'express-json') {
  const express = require('express');
  const app = express();
  app.disable('x-powered-by');
  const object = JSON.parse(body.toString('utf8'));
  app.get(/.*/, (req, res) => {
    if (kind === 'express-json') return res.json(object);
    res.type('application/json').send(body);
  });
  listen(http.createServer(app));
} else {
  console.error(`unknown baseline "${kind}"`);
  process.exit(2);
}
