'use strict';
/**
 * Runs one autocannon load (options as JSON in argv[2]) and prints its result as JSON. Started
 * by load.js as a child process so that it can be pinned to the load core.
 */
const autocannon = require('autocannon');

const options = JSON.parse(process.argv[2]);
autocannon(options, (error, result) => {
  if (error) {
    console.error(error.message);
    process.exit(1);
  }
  process.stdout.write(JSON.stringify(result));
});
