import { readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Nodes, Root, RootContent, Table } from 'mdast';
import { readRegularFile } from '../core/files.js';
import { onPath } from '../runner/exec.js';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmTableFromMarkdown } from 'mdast-util-gfm-table';
import { gfmTaskListItemFromMarkdown } from 'mdast-util-gfm-task-list-item';
import { gfmTable } from 'micromark-extension-gfm-table';
import { gfmTaskListItem } from 'micromark-extension-gfm-task-list-item';

/**
 * A master plan in design D's markdown, read with a markdown parser (mdast), never with regexes
 * over lines: `master-plan.md` has a Phases table (Phase, Title linking the phase file, Focus,
 * Risk, Status) and a Dependencies section (`Phase 1 --> Phase 2`); each phase file has
 * `**Status:**` and `**Depends On:**` lines, a `## Process Wrapper (MANDATORY)` checklist
 * (the `[IMPLEMENTATION]` marker, `Read previous notes:` and `Write notes to:`), `## Gates`
 * (`- <command>: <description>`) and `## Tasks`. Plans as people really write them read too:
 * dependencies in free text (`N/A (first phase)`, `Phase 1, 2 (Fetcher, Analyzer) - needs …`,
 * a `## Dependencies` section of the phase file), gates named with their command in inline code
 * (``- ruff: 0 errors (command: `uv run ruff check .`)``) or mapped by name in config.yaml,
 * ``Write `notes/x.md` `` anywhere in the wrapper, `AGENT:name` anywhere and the REQUIRED rows of
 * an `## Agents to Use` table, statuses such as `✅ Done` or `In_Progress` (written back in the
 * file's own words). Reading collects every problem (what stops a run) and warning (what it can
 * do without) with its file and line instead of stopping at the first. Paths are relative to the
 * project root, so the same plan reads in a worktree.
 */
export type PhaseStatus = 'Pending' | 'In Progress' | 'Completed' | 'Blocked' | 'Failed' | 'Skipped';
export const PHASE_STATUSES: PhaseStatus[] = ['Pending', 'In Progress', 'Completed', 'Blocked', 'Failed', 'Skipped'];

export interface Gate {
  command: string;
  description: string;
  /** The name the plan gave it, when the command came from inline code or config.yaml. */
  name?: string;
}

export interface PlanReadOptions {
  /** config.yaml's `gates:`: the command of each gate a plan names without one. */
  gates?: Record<string, string>;
  /** Whether a one-word gate is a program (default: a shell builtin or a path; the CLI adds the PATH). */
  isProgram?: (word: string) => boolean;
  /** The subagents Claude Code can run besides its built-ins, lower case (default: the project's .claude/agents; the CLI adds the home's). */
  agents?: Set<string>;
}

export interface PhaseSpec {
  id: string;
  title: string;
  /** The phase file, relative to the project root. */
  file: string;
  focus: string;
  risk: string;
  /** As the Phases table says it. */
  status: PhaseStatus;
  depends_on: string[];
  gates: Gate[];
  required_agents: string[];
  implementation: boolean;
  /** Notes files to read first and the one to write, relative to the project root. */
  read_notes: string[];
  write_notes: string | null;
}

export interface MasterPlan {
  /** Relative to the project root. */
  file: string;
  title: string;
  phases: PhaseSpec[];
}

export interface PlanProblem {
  file: string;
  line: number;
  message: string;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;
const ARROW = /-->|->|→/;

export function parseMarkdown(text: string): Root {
  return fromMarkdown(text, MARKDOWN);
}

/** GitHub's tables and task lists, made once: the extensions hold no state, and making them per file doubled a 500-phase plan's parse. */
const MARKDOWN = { extensions: [gfmTable(), gfmTaskListItem()], mdastExtensions: [gfmTableFromMarkdown(), gfmTaskListItemFromMarkdown()] };

/** The master plan at `planFile` (absolute, or relative to `root`): every problem (it cannot run) and warning found in it and its phase files. */
export function readMasterPlan(root: string, planFile: string, options: PlanReadOptions = {}): { plan: MasterPlan; problems: PlanProblem[]; warnings: PlanProblem[] } {
  const file = toRelative(root, planFile);
  const problems: PlanProblem[] = [];
  const warnings: PlanProblem[] = [];
  const problem = (at: string, line: number, message: string) => problems.push({ file: at, line, message });
  const warn = (at: string, line: number, message: string) => warnings.push({ file: at, line, message });
  const plan: MasterPlan = { file, title: file, phases: [] };
  if (file.startsWith('..') || isAbsolute(file)) {
    problem(planFile, 1, `the master plan must be inside the project (${root})`);
    return { plan, problems, warnings };
  }
  const read = readPlanText(join(root, file));
  if ('problem' in read) {
    problem(file, read.line, read.problem === MISSING ? 'the master plan file does not exist or cannot be read' : `the master plan cannot be read: ${read.problem}`);
    return { plan, problems, warnings };
  }
  const text = read.text;
  const tree = parseMarkdown(text);
  const title = tree.children.find((node) => node.type === 'heading' && node.depth === 1);
  if (title) plan.title = textOf(title).trim();

  const table = phasesTable(tree);
  if (!table) {
    const heading = sections(tree).find((s) => /phases/i.test(s.title));
    const broken = heading?.nodes.find((node) => node.type === 'paragraph' && textOf(node).trimStart().startsWith('|'));
    if (broken) problem(file, lineOf(broken), 'the Phases table is malformed: a table needs a delimiter row (|---|---|) under its header row');
    else problem(file, heading?.line ?? 1, 'no Phases table: add one with the columns | Phase | Title | Focus | Risk | Status |, each Title a link to its phase file');
  } else {
    plan.phases = tableRows(table, file, root, problem);
  }
  const byId = new Map(plan.phases.map((phase) => [phase.id, phase]));
  const edges: Edge[] = [];
  const addEdge = (from: string, to: string, at: string, line: number) => {
    for (const id of [from, to]) if (!byId.has(id)) problem(at, line, `'${id}' is not a phase of the Phases table (phases: ${[...byId.keys()].join(', ') || 'none'})`);
    if (byId.has(from) && byId.has(to)) {
      if (from === to) problem(at, line, `phase ${from} cannot depend on itself`);
      else edges.push({ from, to, file: at, line });
    }
  };

  const dependencies = sections(tree).find((s) => /dependenc/i.test(s.title));
  const dependencyLines = dependencies ? linesOf(dependencies.nodes) : [];
  // Mermaid labels a node once (A[Phase 1]) and may name it by its id alone afterwards (A --> C).
  const nodeIds = new Map<string, string>();
  for (const { text: lineText } of dependencyLines) {
    for (const match of lineText.matchAll(/\b([A-Za-z][\w-]*)\s*[[(]([^\])]*)[\])]/g)) {
      if (/phase/i.test(match[2]!)) nodeIds.set(match[1]!, phaseToken(match[0]));
    }
  }
  const token = (part: string) => nodeIds.get(part.trim()) ?? phaseToken(part);
  for (const { text: lineText, line } of dependencyLines) {
    if (!ARROW.test(lineText)) continue;
    const groups = lineText.split(ARROW).map((part) => part.split(/,|&|\band\b/).map(token).filter(Boolean));
    for (let i = 0; i + 1 < groups.length; i++) for (const from of groups[i]!) for (const to of groups[i + 1]!) addEdge(from, to, file, line);
  }
  const context: PhaseContext = {
    root,
    byId,
    problem,
    warn,
    addEdge,
    gates: options.gates ?? {},
    isProgram: options.isProgram ?? ((word) => isProgram(word, undefined)),
    agents: options.agents ?? claudeAgents(root, undefined),
  };
  for (const phase of plan.phases) readPhaseFile(phase, context);

  for (const edge of edges) {
    const phase = byId.get(edge.to)!;
    if (!phase.depends_on.includes(edge.from)) phase.depends_on.push(edge.from);
  }
  for (const cycle of cycles(plan.phases, edges)) problem(cycle.file, cycle.line, `dependency cycle: ${cycle.path.join(' → ')}; remove one of these dependencies`);
  const order = (a: PlanProblem, b: PlanProblem) => (a.file === b.file ? a.line - b.line : a.file === file ? -1 : b.file === file ? 1 : a.file.localeCompare(b.file));
  problems.sort(order);
  warnings.sort(order);
  return { plan, problems, warnings };
}

interface Edge {
  from: string;
  to: string;
  file: string;
  line: number;
}

type Report = (file: string, line: number, message: string) => void;

function phasesTable(tree: Root): Table | null {
  const isPhases = (table: Table) => {
    const header = (table.children[0]?.children ?? []).map((cell) => textOf(cell).trim().toLowerCase());
    return header.includes('phase') && header.includes('title');
  };
  const section = sections(tree).find((s) => /phases/i.test(s.title));
  const tables = (section?.nodes ?? tree.children).filter((node): node is Table => node.type === 'table');
  return tables.find(isPhases) ?? tree.children.filter((node): node is Table => node.type === 'table').find(isPhases) ?? null;
}

function tableRows(table: Table, file: string, root: string, problem: Report): PhaseSpec[] {
  const [header, ...rows] = table.children;
  const columns = header!.children.map((cell) => textOf(cell).trim().toLowerCase());
  const column = (name: string) => columns.indexOf(name);
  if (column('status') < 0) problem(file, lineOf(header!), 'the Phases table has no Status column: add | Status | so the orchestrator can write each phase\'s status back');
  const phases: PhaseSpec[] = [];
  for (const row of rows) {
    const line = lineOf(row);
    if (row.children.length !== columns.length) {
      problem(file, line, `this row of the Phases table has ${row.children.length} cells, the header has ${columns.length}`);
      continue;
    }
    const cell = (name: string) => (column(name) < 0 ? '' : textOf(row.children[column(name)]!).trim());
    const id = phaseToken(cell('phase'));
    if (!ID.test(id)) {
      problem(file, line, `'${cell('phase')}' is not a phase id: use a number or a short name (letters, digits, . _ -)`);
      continue;
    }
    if (phases.some((phase) => phase.id === id)) {
      problem(file, line, `phase ${id} is listed twice`);
      continue;
    }
    const link = findNode(row.children[column('title')]!, 'link');
    const target = link ? decodeLink(link.url) : '';
    const phaseFile = target ? toRelative(root, resolve(root, dirname(file), target)) : '';
    const found = phaseFile ? readPlanText(join(root, phaseFile)) : null;
    if (target === null) problem(file, line, `phase ${id}'s link ${link!.url} has a malformed %-escape; write the file name as it is`);
    else if (!link || !target) problem(file, line, `phase ${id}'s title is not a link to its phase file: write [${cell('title') || 'Title'}](phase${id}.md)`);
    else if (phaseFile.startsWith('..') || isAbsolute(phaseFile)) problem(file, line, `phase ${id}'s file ${phaseFile} is outside the project`);
    else if (found && 'problem' in found) problem(file, line, found.problem === MISSING ? `phase ${id}'s file ${phaseFile} does not exist` : `phase ${id}'s file ${phaseFile} cannot be read: ${found.problem}`);
    const rawStatus = cell('status') || 'Pending';
    const status = phaseStatus(rawStatus);
    if (!status) problem(file, line, `phase ${id}'s status '${rawStatus}' is not one of ${PHASE_STATUSES.join(', ')} (or Done, Complete, Running, In_Progress, Validating, Awaiting, Awaiting Human)`);
    phases.push({ id, title: cell('title'), file: found && 'text' in found ? phaseFile : '', focus: cell('focus'), risk: cell('risk'), status: status ?? 'Pending', depends_on: [], gates: [], required_agents: [], implementation: false, read_notes: [], write_notes: null });
  }
  if (rows.length === 0) problem(file, lineOf(table), 'the Phases table has no phases');
  return phases;
}

interface PhaseContext {
  root: string;
  byId: Map<string, PhaseSpec>;
  problem: Report;
  warn: Report;
  addEdge: (from: string, to: string, file: string, line: number) => void;
  gates: Record<string, string>;
  isProgram: (word: string) => boolean;
  agents: Set<string>;
}

/** Fills a phase in from its file: dependencies, the Process Wrapper checklist, required agents, gates. */
function readPhaseFile(phase: PhaseSpec, context: PhaseContext): void {
  const { root, byId, problem, warn, addEdge } = context;
  if (!phase.file) return; // its problem was reported with the table row
  const read = readPlanText(join(root, phase.file));
  if ('problem' in read) return;
  const text = read.text;
  const file = phase.file;
  const tree = parseMarkdown(text);
  const fields = headerFields(tree, text);
  const known = new Set(byId.keys());
  if (!fields.has('status')) warn(file, 1, 'no **Status:** line: add "**Status:** Pending" under the title (the orchestrator writes the status there)');
  const depends = fields.get('depends on') ?? fields.get('dependencies') ?? fields.get('depends');
  if (depends) {
    const byFile = new Map([...byId.values()].map((p) => [p.file, p.id]));
    for (const link of depends.links) {
      const decoded = decodeLink(link.url);
      const target = decoded === null ? null : toRelative(root, resolve(root, dirname(file), decoded));
      const id = target === null ? undefined : byFile.get(target);
      // A link whose target moved still names its phase in its text: [Phase 1: Fetcher](old-name.md).
      const named = id ? [id] : (namedPhases(link.text, known) ?? []);
      for (const from of named) addEdge(from, phase.id, file, depends.line);
      if (named.length > 0) continue;
      if (decoded === null) problem(file, depends.line, `Depends On links to ${link.url}, which has a malformed %-escape`);
      else problem(file, depends.line, `Depends On links to ${target}, which is not a phase file of the master plan`);
    }
    const rest = depends.value.replace(/\[[^\]]*\]\([^)]*\)/g, ' ').replace(/^[\s,;&]+|[\s,;&]+$/g, '');
    if (depends.links.length === 0 || /\bphases?\b/i.test(rest)) {
      const named = namedPhases(rest, known);
      if (named === null) problem(file, depends.line, `Depends On '${excerptOf(depends.value)}' names no phase: write N/A, or the phases it needs (Phase 1, Phase 2)`);
      for (const from of named ?? []) addEdge(from, phase.id, file, depends.line);
    }
  }

  const all = sections(tree);
  // A `## Dependencies` section: "Previous phase: Phase 2", "Requires: Phase 1", "- Phase 3 (the API)".
  for (const section of all.filter((s) => /^(dependencies|depends on|prerequisites)\b/i.test(s.title))) {
    for (const { text: lineText, line } of linesOf(section.nodes)) {
      for (const from of dependencyLine(lineText, known)) addEdge(from, phase.id, file, line);
    }
  }

  const wrapper = all.find((s) => /process wrapper/i.test(s.title));
  if (!wrapper) warn(file, 1, 'no "## Process Wrapper (MANDATORY)" section: add the checklist with the [IMPLEMENTATION] marker and "Write notes to:"');
  for (const item of wrapper ? listItems(wrapper.nodes) : []) {
    const itemText = textOf(item);
    if (/\[IMPLEMENTATION/i.test(itemText)) phase.implementation = true;
    const code = findAll(item, 'inlineCode').map((node) => node.value.trim()).filter(Boolean);
    // Paths in inline code; plain text only when it is a path (not "N/A (first phase)").
    const plain = itemText.replace(/^[^:]*:/, '').replace(/\(.*?\)/g, '').trim();
    if (/read previous notes/i.test(itemText)) {
      const paths = code.length ? code.flatMap((p) => p.split(/,\s*/)) : plain.split(',').map((p) => p.trim()).filter((p) => /^[\w./-]+\.md$/i.test(p));
      phase.read_notes.push(...paths);
    } else if (/write notes to/i.test(itemText)) {
      phase.write_notes ??= code[0] ?? (/^[\w./-]+$/.test(plain) ? plain : null);
    } else {
      phase.write_notes ??= writtenFile(item);
    }
  }
  if (!phase.write_notes) warn(file, wrapper?.line ?? 1, `phase ${phase.id} names no notes file: add "- [ ] Write notes to: \`notes/NOTES_phase_${phase.id}.md\`" to its Process Wrapper (the next phases read it)`);

  for (const agent of requiredAgents(text, tree)) {
    if (!phase.required_agents.some((name) => name.toLowerCase() === agent.name.toLowerCase())) phase.required_agents.push(agent.name);
    if (!BUILT_IN_AGENTS.has(agent.name.toLowerCase()) && !context.agents.has(agent.name.toLowerCase())) {
      problem(file, agent.line, `the required agent ${agent.name} is not one Claude Code has: define it in .claude/agents/${agent.name}.md (or ~/.claude/agents/), or require a built-in one (general-purpose, Explore, Plan)`);
    }
  }

  const gates = all.find((s) => /^gates\b/i.test(s.title));
  if (!gates) problem(file, 1, 'no "## Gates" section: add one with lines like "- npm test: the tests pass"');
  else {
    for (const item of listItems(gates.nodes)) {
      const gate = gateOf(item, context);
      if (gate && 'command' in gate) phase.gates.push(gate);
      else if (gate) problem(file, lineOf(item), `the gate '${gate.name}' names no command, and ${gate.name} is not a program on the PATH: write its command in inline code (- ${gate.name}: \`<command>\`), or map it in .orchestrator/config.yaml (gates: { ${gate.name}: <command> })`);
      else problem(file, lineOf(item), 'this gate has no command: write "- <command>: <description>"');
    }
    if (listItems(gates.nodes).length === 0) problem(file, gates.line, 'no gates: the orchestrator verifies a phase by its gates; add lines like "- npm test: the tests pass"');
  }
  if (!all.some((s) => /^tasks\b/i.test(s.title))) warn(file, 1, 'no "## Tasks" section: list the work of the phase under "## Tasks"');
}

/** A dependency written in words: none (N/A, None, -, No …, Independent), else every phase it names; null when it names none. */
function namedPhases(text: string, known: Set<string>): string[] | null {
  const plain = text.replace(/[*`]/g, '').trim();
  if (/^(n\/?a\b|none\b|no\b|nothing\b|independent\b|standalone\b|[-—–]+(\s|$)|$)/i.test(plain)) return [];
  const words = plain.replace(/\([^)]*\)/g, ' ');
  const ids: string[] = [];
  const add = (raw: string, first: boolean) => {
    const id = raw.trim().replace(/^phase\s+/i, '').replace(/[.:-]+$/, '');
    // After "Phase": an id of the table, or one with a digit (reported if it is not a phase); a list goes on with ids of the table only.
    if (ID.test(id) && (known.has(id) || (first && /\d/.test(id))) && !ids.includes(id)) ids.push(id);
  };
  for (const match of words.matchAll(/\bphases?\s+([A-Za-z0-9][\w.-]*)((?:\s*(?:,|&|\band\b|\bor\b)\s*(?:phase\s+)?[A-Za-z0-9][\w.-]*)*)/gi)) {
    add(match[1]!, true);
    for (const more of match[2]!.split(/,|&|\band\b|\bor\b/)) add(more, false);
  }
  if (ids.length > 0) return ids;
  // No "Phase" at all: a plain list of ids ("1, 2").
  const tokens = words.split(/,|&|\band\b/).map(phaseToken).filter(Boolean);
  return tokens.length > 0 && tokens.every((token) => ID.test(token) && (known.has(token) || /^\d[\w.]*$/.test(token))) ? tokens : null;
}

/** A line of a phase file's `## Dependencies` section: what it needs (never what it enables). */
function dependencyLine(line: string, known: Set<string>): string[] {
  const labelled = /^\s*(?:\[[ xX]\]\s*)?([^:]{1,40}):\s*(.*)$/.exec(line);
  if (!labelled) return namedPhases(line, known)?.filter(() => /\bphases?\b/i.test(line)) ?? [];
  const [, label, rest] = labelled as unknown as [string, string, string];
  if (/^\s*phases?\s/i.test(label)) return namedPhases(label, known) ?? [];
  if (/^(previous phases?|depends on|dependencies|requires|required|prerequisites?|needs|after|blocked by)$/i.test(label.replace(/[*_`]/g, '').trim())) return namedPhases(rest, known) ?? [];
  return [];
}

/** The file named in inline code right after "Write" (``Write `notes/x.md` (REQUIRED)``, ``Write `…` with:``). */
function writtenFile(item: Nodes): string | null {
  for (const paragraph of findAll(item, 'paragraph')) {
    const children = paragraph.children;
    for (let i = 1; i < children.length; i++) {
      const node = children[i]!;
      if (node.type === 'inlineCode' && /\.md$/i.test(node.value.trim()) && /\bwrite\s+(notes\s+to:?\s*)?$/i.test(textOf(children[i - 1]!))) return node.value.trim();
    }
  }
  return null;
}

/** Claude Code's own subagents (2.1.x), lower case. */
const BUILT_IN_AGENTS = new Set(['general-purpose', 'explore', 'plan', 'statusline-setup', 'claude-code-guide']);

/** The subagents defined in the project's and the home's .claude/agents (file names and `name:` lines), lower case. */
export function claudeAgents(root: string, home: string | undefined): Set<string> {
  const names = new Set<string>();
  for (const dir of [join(root, '.claude', 'agents'), ...(home ? [join(home, '.claude', 'agents')] : [])]) {
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((name) => name.endsWith('.md'));
    } catch {
      continue;
    }
    for (const name of files) {
      names.add(name.slice(0, -3).toLowerCase());
      const head = textOrNull(join(dir, name))?.slice(0, 2000) ?? '';
      const declared = /^name:\s*["']?([\w.:-]+)/m.exec(head);
      if (declared) names.add(declared[1]!.toLowerCase());
    }
  }
  return names;
}

/**
 * The agents a phase requires: `AGENT:name` anywhere in the file (upper case, or with no space
 * after the colon: "the agent: it …" is prose), and the REQUIRED rows of an `## Agents to Use` table.
 */
function requiredAgents(text: string, tree: Root): { name: string; line: number }[] {
  const found: { name: string; line: number }[] = [];
  for (const match of text.replace(/[*`]/g, ' ').matchAll(/\b(agent):(\s*)([A-Za-z0-9][\w.:-]*)/gi)) {
    if (match[1] !== 'AGENT' && match[2] !== '') continue;
    found.push({ name: match[3]!.replace(/[.:-]+$/, ''), line: text.slice(0, match.index).split('\n').length });
  }
  for (const section of sections(tree).filter((s) => /agents?\b.*\b(to use|required)|required agents/i.test(s.title))) {
    for (const table of section.nodes.filter((node): node is Table => node.type === 'table')) {
      const [header, ...rows] = table.children;
      const columns = header!.children.map((cell) => textOf(cell).trim().toLowerCase());
      const nameColumn = Math.max(0, columns.findIndex((c) => /agent|name/.test(c)));
      const requiredColumn = columns.findIndex((c) => /required|mandatory/.test(c));
      for (const row of rows) {
        const cells = row.children.map((cell) => textOf(cell).trim());
        const required = requiredColumn >= 0
          ? /^(yes|y|required|mandatory|true|x|✅|✓|✔)/i.test(cells[requiredColumn] ?? '')
          : /\b(required|mandatory)\b/i.test(cells.join(' ')) && !/\bnot required\b|\boptional\b/i.test(cells.join(' '));
        const name = (cells[nameColumn] ?? '').replace(/^agent:\s*/i, '').replace(/[`*]/g, '').trim();
        if (required && /^[A-Za-z0-9][\w.:-]*$/.test(name)) found.push({ name, line: lineOf(row) });
      }
    }
  }
  return found;
}

/**
 * A gate: `- <command>: <description>`; `` - `command`: description `` when the command has
 * ": " in it; or named, with the command in inline code (``- ruff: 0 errors (command: `uv run
 * ruff check .`)``, ``- tsc: `command: pnpm exec tsc` - 0 errors``), or by config.yaml's `gates:`.
 * A one-word name that is no program and has no command is `{ name }`: never run the word.
 */
function gateOf(item: Nodes, context: Pick<PhaseContext, 'gates' | 'isProgram'>): Gate | { name: string } | null {
  const paragraph = 'children' in item ? item.children.find((node) => node.type === 'paragraph') : undefined;
  if (!paragraph || !('children' in paragraph)) return null;
  const stripLabel = (command: string) => command.replace(/^command:\s*/i, '').trim();
  const [first, ...rest] = paragraph.children;
  if (first?.type === 'inlineCode') {
    const command = stripLabel(first.value);
    const description = rest.map(textOf).join('').replace(/^\s*[:\-–—]\s*/, '').trim();
    return command ? { command, description } : null;
  }
  const text = textOf(paragraph).trim();
  const colon = text.search(/:(\s|$)/);
  const head = (colon < 0 ? text : text.slice(0, colon)).trim();
  const description = colon < 0 ? '' : text.slice(colon + 1).trim();
  if (!head) return null;
  const code = findAll(paragraph, 'inlineCode').map((node) => stripLabel(node.value)).find(Boolean);
  const oneWord = /^[\w.@/+-]+$/.test(head);
  const mapped = Object.hasOwn(context.gates, head) ? context.gates[head] : undefined;
  if (mapped) return { command: mapped, description, name: head };
  if (code && (oneWord || !context.isProgram(head.split(/\s+/)[0]!))) return { command: code, description, ...(/^command$/i.test(head) ? {} : { name: head }) };
  if (oneWord && !head.includes('/') && !context.isProgram(head)) return { name: head };
  return { command: head, description };
}

interface Field {
  value: string;
  links: { url: string; text: string }[];
  line: number;
  /** Where the value is in the file, for writing it back. */
  start: number;
  end: number;
}

/** `**Name:** value` lines of the paragraphs before the first `##` heading. */
function headerFields(tree: Root, text: string): Map<string, Field> {
  const fields = new Map<string, Field>();
  for (const node of tree.children) {
    if (node.type === 'heading' && node.depth >= 2) break;
    if (node.type !== 'paragraph') continue;
    node.children.forEach((child, i) => {
      if (child.type !== 'strong') return;
      const label = textOf(child).trim();
      let start = child.position!.end.offset!;
      let name = label;
      if (label.endsWith(':')) name = label.slice(0, -1);
      else if (text[start] === ':') start += 1;
      else return;
      const lineEnd = text.indexOf('\n', start);
      const end = Math.min(lineEnd < 0 ? text.length : lineEnd, node.position!.end.offset!);
      const links = node.children.slice(i + 1).filter((n) => n.type === 'link' && n.position!.start.offset! < end).map((n) => ({ url: (n as { url: string }).url, text: textOf(n) }));
      const raw = text.slice(start, end);
      const lead = raw.length - raw.trimStart().length;
      fields.set(name.trim().toLowerCase(), { value: raw.trim(), links, line: child.position!.start.line, start: start + lead, end: start + raw.trimEnd().length });
    });
  }
  return fields;
}

/**
 * Writes a phase's status into the Phases table's Status cell and the phase file's `**Status:**`
 * line under `root` (the project, or the run branch's worktree), changing nothing else in either
 * file, and not writing a file that says so already. Returns what it could not write (a file or
 * line that is gone), for the run's log.
 */
export function writePhaseStatus(root: string, planFile: string, phase: Pick<PhaseSpec, 'id' | 'file'>, status: PhaseStatus, write: (file: string, text: string) => void): string[] {
  const missed: string[] = [];
  const planPath = join(root, planFile);
  const planText = textOrNull(planPath);
  const table = planText === null ? null : statusCells(planPath, planText);
  const cell = table?.get(phase.id);
  const phaseText = textOrNull(join(root, phase.file));
  const field = phaseText === null ? undefined : statusField(join(root, phase.file), phaseText);
  // The file's own words: a plan that says "✅ Done" gets "✅ Done", not "Completed".
  const used = [field?.value, ...[...(table?.values() ?? [])].map((c) => c.text.trim().replace(/^[*_`]+|[*_`]+$/g, ''))];
  const word = used.find((raw) => raw && raw !== status && phaseStatus(raw) === status) ?? status;
  // A column padded for alignment stays as wide as it was.
  const fresh = cell && (cell.text.endsWith('  ') ? ` ${word} `.padEnd(cell.text.length, ' ') : ` ${word} `);
  if (planText === null || !cell) missed.push(`${planFile}: no Status cell for phase ${phase.id}`);
  else if (fresh !== cell.text) write(planPath, planText.slice(0, cell.start) + fresh + planText.slice(cell.end));
  if (phaseText === null || !field) missed.push(`${phase.file}: no **Status:** line`);
  else if (phaseText.slice(field.start, field.end) !== word) write(join(root, phase.file), phaseText.slice(0, field.start) + word + phaseText.slice(field.end));
  return missed;
}

/**
 * Where the phases table of a plan file is, found by the markdown parser once: its lines and,
 * per phase, the line of its row and that row's phase cell as written. A status write edits only
 * the status cell, so the lines stay where they were; the next write checks that they did (the
 * header and the phase cells unchanged) and parses again when not. A plan of 500 phases is not
 * parsed 1 000 times.
 */
interface TableLines {
  header: string;
  rows: Map<string, { line: number; phaseCell: string }>;
  phaseColumn: number;
  statusColumn: number;
  start: number;
}
const tablesSeen = new Map<string, TableLines>();

/** Each phase's Status cell in the plan's table (offsets into `text`, the text between its pipes), or null without such a table. */
function statusCells(path: string, text: string): Map<string, { start: number; end: number; text: string }> | null {
  const lines = text.split('\n');
  let seen = tablesSeen.get(path);
  const stillThere = (t: TableLines) => lines[t.start] === t.header && [...t.rows.values()].every((row) => rowCells(lines[row.line] ?? '')[t.phaseColumn]?.text === row.phaseCell);
  if (!seen || !stillThere(seen)) {
    seen = locateTable(text, lines) ?? undefined;
    if (!seen) return null;
    tablesSeen.set(path, seen);
  }
  const offsets = lineStarts(lines);
  const found = new Map<string, { start: number; end: number; text: string }>();
  for (const [id, row] of seen.rows) {
    const cell = rowCells(lines[row.line]!)[seen.statusColumn];
    if (cell) found.set(id, { start: offsets[row.line]! + cell.start, end: offsets[row.line]! + cell.end, text: cell.text });
  }
  return found;
}

/** The phase file's **Status:** field: found by the parser once, then by its line while the line still starts the same way. */
const fieldsSeen = new Map<string, { line: number; before: string }>();
function statusField(path: string, text: string): Pick<Field, 'value' | 'start' | 'end'> | undefined {
  const lines = text.split('\n');
  const offsets = lineStarts(lines);
  const seen = fieldsSeen.get(path);
  if (seen && lines[seen.line]?.startsWith(seen.before)) {
    const start = offsets[seen.line]! + seen.before.length;
    const rest = lines[seen.line]!.slice(seen.before.length);
    return { value: rest.trim(), start, end: start + rest.trimEnd().length };
  }
  const field = headerFields(parseMarkdown(text), text).get('status');
  if (!field) return undefined;
  const line = text.slice(0, field.start).split('\n').length - 1;
  fieldsSeen.set(path, { line, before: lines[line]!.slice(0, field.start - offsets[line]!) });
  return field;
}

/** Where each line starts in the text it was split from. */
function lineStarts(lines: string[]): number[] {
  const starts: number[] = [];
  for (let i = 0, at = 0; i < lines.length; at += lines[i]!.length + 1, i++) starts.push(at);
  return starts;
}

function locateTable(text: string, lines: string[]): TableLines | null {
  const table = phasesTable(parseMarkdown(text));
  if (!table?.position) return null;
  const header = table.children[0]?.children.map((cell) => textOf(cell).trim().toLowerCase()) ?? [];
  const phaseColumn = header.indexOf('phase');
  const statusColumn = header.indexOf('status');
  if (phaseColumn < 0 || statusColumn < 0) return null;
  const rows = new Map<string, { line: number; phaseCell: string }>();
  for (const row of table.children.slice(1)) {
    const line = row.position!.start.line - 1;
    const cell = row.children[phaseColumn];
    if (!cell || row.position!.end.line - 1 !== line) continue;
    rows.set(phaseToken(textOf(cell).trim()), { line, phaseCell: rowCells(lines[line]!)[phaseColumn]?.text ?? '' });
  }
  const start = table.position.start.line - 1;
  return { header: lines[start]!, rows, phaseColumn, statusColumn, start };
}

/** A table row's cells as GFM splits them: at each pipe not escaped with a backslash, the outer pipes optional. */
function rowCells(line: string): { start: number; end: number; text: string }[] {
  const pipes: number[] = [];
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === '|') pipes.push(i);
  }
  const opens = pipes[0] === line.length - line.trimStart().length;
  const closes = pipes.length > (opens ? 1 : 0) && pipes.at(-1) === line.trimEnd().length - 1;
  const bounds = [...(opens ? [] : [-1]), ...pipes, ...(closes ? [] : [line.length])];
  const cells: { start: number; end: number; text: string }[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) cells.push({ start: bounds[i]! + 1, end: bounds[i + 1]!, text: line.slice(bounds[i]! + 1, bounds[i + 1]!) });
  return cells;
}

export interface Section {
  title: string;
  line: number;
  depth: number;
  nodes: RootContent[];
}

/** Each heading with the nodes under it, up to the next heading of the same or a higher level. */
export function sections(tree: Root): Section[] {
  const found: Section[] = [];
  // The sections still open (at most six: one per heading depth); each node joins all of them.
  const open: Section[] = [];
  for (const node of tree.children) {
    if (node.type === 'heading') {
      while (open.length > 0 && open[open.length - 1]!.depth >= node.depth) open.pop();
      for (const section of open) section.nodes.push(node);
      const section: Section = { title: textOf(node).trim(), line: lineOf(node), depth: node.depth, nodes: [] };
      found.push(section);
      open.push(section);
    } else {
      for (const section of open) section.nodes.push(node);
    }
  }
  return found;
}

/** The text of the nodes, one entry per source line (paragraphs, list items, code blocks). */
function linesOf(nodes: RootContent[]): { text: string; line: number }[] {
  const lines: { text: string; line: number }[] = [];
  const visit = (node: Nodes) => {
    if (node.type === 'code') node.value.split('\n').forEach((text, i) => lines.push({ text, line: lineOf(node) + 1 + i }));
    else if (node.type === 'paragraph' || node.type === 'heading') textOf(node).split('\n').forEach((text, i) => lines.push({ text, line: lineOf(node) + i }));
    else if ('children' in node) for (const child of node.children) visit(child);
  };
  for (const node of nodes) visit(node);
  return lines;
}

function listItems(nodes: RootContent[]): Nodes[] {
  return nodes.flatMap((node) => (node.type === 'list' ? node.children : []));
}

/** `Phase 2`, `**2**`, `B[Phase 2]` (mermaid) → `2`. */
function phaseToken(text: string): string {
  const label = /\[([^\]]*)\]|\(([^)]*)\)/.exec(text);
  const raw = label && /phase/i.test(label[1] ?? label[2] ?? '') ? (label[1] ?? label[2])! : text.replace(/\[.*?\]|\(.*?\)/g, '');
  return raw.replace(/[*_`;]/g, '').trim().replace(/^phase\s*/i, '').trim();
}

/** The words plans use for each status (an emoji, case and _ aside). */
const STATUS_WORDS: Record<string, PhaseStatus> = {
  pending: 'Pending', todo: 'Pending', 'not started': 'Pending',
  'in progress': 'In Progress', running: 'In Progress', validating: 'In Progress', started: 'In Progress',
  completed: 'Completed', complete: 'Completed', done: 'Completed', finished: 'Completed',
  blocked: 'Blocked', awaiting: 'Blocked', 'awaiting human': 'Blocked', waiting: 'Blocked',
  failed: 'Failed',
  skipped: 'Skipped',
};

function phaseStatus(text: string): PhaseStatus | null {
  const words = text.replace(/[^A-Za-z ]/g, ' ').replace(/\s+/g, ' ').trim().toLowerCase();
  return Object.hasOwn(STATUS_WORDS, words) ? STATUS_WORDS[words]! : null;
}

/** A program a gate may name alone: a shell builtin, one on the PATH, or a path. */
export function isProgram(word: string, path: string | undefined): boolean {
  return SHELL_BUILTINS.has(word) || word.includes('/') || onPath(word, path) !== null;
}

const SHELL_BUILTINS = new Set(['true', 'false', ':', 'test', '[', 'cd', 'exit', 'echo', 'printf', 'export', 'set', 'source', '.', 'command', 'eval', 'exec']);

const excerptOf = (text: string) => (text.length > 80 ? `${text.slice(0, 79)}…` : text);

/** Cycles among the dependencies, each once, with where its closing edge was written. */
function cycles(phases: PhaseSpec[], edges: Edge[]): { path: string[]; file: string; line: number }[] {
  const out = new Map<string, Edge[]>();
  for (const edge of edges) out.set(edge.from, [...(out.get(edge.from) ?? []), edge]);
  const found: { path: string[]; file: string; line: number }[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string) => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const edge of out.get(id) ?? []) {
      if (state.get(edge.to) === 'visiting') found.push({ path: [...stack.slice(stack.indexOf(edge.to)), edge.to], file: edge.file, line: edge.line });
      else if (!state.has(edge.to)) visit(edge.to);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const phase of phases) if (!state.has(phase.id)) visit(phase.id);
  return found;
}

export function textOf(node: Nodes): string {
  if (node.type === 'break') return '\n';
  if ('value' in node && typeof node.value === 'string' && node.type !== 'html') return node.value;
  if ('children' in node) return (node.children as Nodes[]).map(textOf).join('');
  return '';
}

function findAll<T extends Nodes['type']>(node: Nodes, type: T): Extract<Nodes, { type: T }>[] {
  const found: Extract<Nodes, { type: T }>[] = [];
  const visit = (n: Nodes) => {
    if (n.type === type) found.push(n as Extract<Nodes, { type: T }>);
    if ('children' in n) for (const child of n.children as Nodes[]) visit(child);
  };
  visit(node);
  return found;
}

function findNode<T extends Nodes['type']>(node: Nodes, type: T): Extract<Nodes, { type: T }> | undefined {
  return findAll(node, type)[0];
}

const lineOf = (node: Nodes) => node.position?.start.line ?? 1;

function toRelative(root: string, path: string): string {
  return relative(root, resolve(root, path)).split(sep).join('/');
}

const MISSING = 'it does not exist';

/** A plan or phase file is prose a person wrote: 256 KB is a hundred pages (and parsing more takes seconds). */
const PLAN_FILE_BYTES = 256 * 1024;
/** Deeper than this, a list or quote is no plan (and the markdown parser slows to a crawl). */
const MAX_NESTING = 40;

/** The text of a plan file, or why it cannot be one: missing, a folder, a device, too large, nested too deep. */
function readPlanText(path: string): { text: string } | { problem: string; line: number } {
  let text: string | null;
  try {
    text = readRegularFile(path, PLAN_FILE_BYTES, 'the file');
  } catch (error) {
    return { problem: (error as Error).message.replace(/^the file \S+ /, 'it '), line: 1 };
  }
  if (text === null) return { problem: MISSING, line: 1 };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lead = /^[\s>]*/.exec(lines[i]!)![0];
    const quotes = lead.split('>').length - 1;
    const indent = lead.replace(/>/g, '').replace(/\t/g, '    ').length;
    if (quotes > MAX_NESTING || indent > MAX_NESTING * 4) return { problem: `it is nested more than ${MAX_NESTING} levels deep; a plan needs a few`, line: i + 1 };
  }
  return { text };
}

function textOrNull(path: string): string | null {
  const read = readPlanText(path);
  return 'text' in read ? read.text : null;
}

/** A link's target as written, %-escapes decoded; null when an escape is malformed. */
function decodeLink(url: string): string | null {
  try {
    return decodeURIComponent(url.split('#')[0]!);
  } catch {
    return null;
  }
}
