'use strict';
/** Splitting a text/event-stream response into frames, for the bench clients and the chat floor. */

/** Calls `onFrame` with each frame (text up to a blank line, LF line ends) of `res`, then `onEnd`. */
function onSseFrames(res, onFrame, onEnd) {
  let buffer = '';
  res.setEncoding('utf8');
  res.on('data', (text) => {
    buffer += text;
    let boundary;
    while ((boundary = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      onFrame(frame);
    }
  });
  res.on('end', onEnd);
}

module.exports = { onSseFrames };
