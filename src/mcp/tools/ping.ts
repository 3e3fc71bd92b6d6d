import { defineTool } from '../tool.js';

export default defineTool({
  name: 'ping',
  description: 'Does nothing and answers {} (a liveness check, and the baseline of the benchmark).',
  input: {},
  run: async () => ({}),
});
