// A scripted model on a test host's own loopback: run in the host's namespaces (through tsx), it
// plays a feature run's planner, reviewers and workers (feature.ts), prints its URL as one JSON
// line, and stops on SIGTERM. Each worker host has its own: nothing crosses hosts but the board
// and git.
import { scenarios } from './feature.js';
import { startFakeModel } from './fake-model/server.js';

const model = await startFakeModel(scenarios());
console.log(JSON.stringify({ url: model.url }));
const keep = setInterval(() => undefined, 60_000);
process.on('SIGTERM', () => {
  clearInterval(keep);
  void model.close().then(() => process.exit(0));
});
