// The agent of `npm run tour`'s master-plan run: a plain program, no model. It reads the phase's
// prompt (its last argument), does the phase — phase 2 gets it wrong the first time, so the
// orchestrator's own run of the gate refuses it and the second attempt fixes it — writes the
// notes file the prompt asks for, and reports the phase with the command the prompt names.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const prompt = process.argv.at(-1);
const phase = /You are running phase (\S+) /.exec(prompt)?.[1];
const again = prompt.includes('Your previous attempt was not accepted');
const say = (text) => console.log(`[tour agent, phase ${phase}] ${text}`);

// TOUR_SLOW_S=n: the agent takes n seconds first (the multi-host test cuts a host's cable meanwhile).
if (process.env.TOUR_SLOW_S) await new Promise((resolve) => setTimeout(resolve, Number(process.env.TOUR_SLOW_S) * 1000));
// The bench's wide plan (scripts/tour-plan.mjs): each phase writes its own part, nothing else.
const wide = /phase-\d+\.txt/.test(prompt);
if (wide) writeFileSync(`phase-${phase}.txt`, `part ${phase}\n`);
else if (phase === '1') writeFileSync('hello.txt', 'hello\n');
if (!wide && phase === '2') {
  // TOUR_STUBBORN=1: it never gets phase 2 right (the views' tests escalate a run with it, then resume it).
  const right = again && process.env.TOUR_STUBBORN !== '1';
  writeFileSync('api.txt', right ? 'api: ready\n' : 'api: todo\n');
  say(right ? 'told the gate failed: api.txt now says ready' : 'wrote api.txt (not ready yet — the gate will say so)');
}
if (!wide && phase === '3') writeFileSync('both.txt', `${readFileSync('hello.txt', 'utf8')}${readFileSync('api.txt', 'utf8')}`);

const notes = /the notes file (\S+) exists with the sections (.+), each filled in/.exec(prompt);
if (notes) {
  mkdirSync(notes[1].split('/').slice(0, -1).join('/') || '.', { recursive: true });
  writeFileSync(notes[1], notes[2].split(', ').map((section) => `${section}\n\nPhase ${phase}${again ? ', second attempt' : ''}.\n`).join('\n'));
}
const run = /done --run (\S+) --phase/.exec(prompt)?.[1];
if (!run) throw new Error('the prompt names no done command');
execFileSync(process.execPath, [new URL('../dist/cli/main.js', import.meta.url).pathname, 'done', '--run', run, '--phase', phase, '--status', 'completed'], { stdio: 'inherit' });
say('reported done');
