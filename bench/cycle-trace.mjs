/**
 * Preloaded into a `difyrun batch` process by the batch-cycle benchmark (NODE_OPTIONS=--import):
 * for each POST …/run, the local port of its socket, when the request was created and when its
 * response ended, as absolute times (performance.timeOrigin + now, ms) so that the bench can line
 * them up with the server's own times for the same socket. Written to CYCLE_TRACE_OUT at exit.
 */
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';

const now = () => performance.timeOrigin + performance.now();
const lines = [];
subscribe('http.client.request.start', ({ request }) => {
  if (!request.path.endsWith('/run')) return;
  const started = now();
  request.on('response', (response) => response.on('end', () => lines.push(`${request.socket.localPort} ${started} ${now()}`)));
});
process.on('exit', () => writeFileSync(process.env.CYCLE_TRACE_OUT, lines.join('\n')));
