'use strict';
/** Shared helpers for bench/*.bench.js files. */
module.exports = {
  ...require('./env'),
  ...require('./database'),
  ...require('./process'),
  ...require('./app'),
  ...require('./baselines'),
  ...require('./chat-load'),
  ...require('./load'),
  ...require('./results'),
  ...require('./sse-frames'),
  ...require('./upstream'),
};
