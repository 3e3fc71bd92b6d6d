import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Nodes, Root, RootContent, Table } from 'mdast';
import { readRegularFile } from '../core/files.js';
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
 * (`**AGENT:name**` required agents, the `[IMPLEMENTATION]` marker, `Read previous notes:` and
 * `Write notes to:`), `## Gates` (`- <command>: <description>`) and `## Tasks`. Reading collects
 * every problem with its file and line instead of stopping at the first. Paths are relative to
 * the project root, so the same plan reads in a worktree.
 */
export type PhaseStatus = 'Pending' | 'In Progress' | 'Completed' | 'Blocked' | 'Failed' | 'Skipped';
export const PHASE_STATUSES: PhaseStatus[] = ['Pending', 'In Progress', 'Completed', 'Blocked', 'Failed', 'Skipped'];

export interface Gate {
  command: string;
  description: string;
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
  return fromMarkdown(text, { extensions: [gfmTable(), gfmTaskListItem()], mdastExtensions: [gfmTableFromMarkdown(), gfmTaskListItemFromMarkdown()] });
}

/** The master plan at `planFile` (absolute, or relative to `root`) and every problem found in it and its phase files. */
export function readMasterPlan(root: string, planFile: string): { plan: MasterPlan; problems: PlanProblem[] } {
  const file = toRelative(root, planFile);
  const problems: PlanProblem[] = [];
  const problem = (at: string, line: number, message: string) => problems.push({ file: at, line, message });
  const plan: MasterPlan = { file, title: file, phases: [] };
  if (file.startsWith('..') || isAbsolute(file)) {
    problem(planFile, 1, `the master plan must be inside the project (${root})`);
    return { plan, problems };
  }
  const read = readPlanText(join(root, file));
  if ('problem' in read) {
    problem(file, read.line, read.problem === MISSING ? 'the master plan file does not exist or cannot be read' : `the master plan cannot be read: ${read.problem}`);
    return { plan, problems };
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
  for (const phase of plan.phases) readPhaseFile(root, phase, byId, problem, addEdge);

  for (const edge of edges) {
    const phase = byId.get(edge.to)!;
    if (!phase.depends_on.includes(edge.from)) phase.depends_on.push(edge.from);
  }
  for (const cycle of cycles(plan.phases, edges)) problem(cycle.file, cycle.line, `dependency cycle: ${cycle.path.join(' → ')}; remove one of these dependencies`);
  problems.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file === file ? -1 : b.file === file ? 1 : a.file.localeCompare(b.file)));
  return { plan, problems };
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
    if (!status) problem(file, line, `phase ${id}'s status '${rawStatus}' is not one of ${PHASE_STATUSES.join(', ')}`);
    phases.push({ id, title: cell('title'), file: found && 'text' in found ? phaseFile : '', focus: cell('focus'), risk: cell('risk'), status: status ?? 'Pending', depends_on: [], gates: [], required_agents: [], implementation: false, read_notes: [], write_notes: null });
  }
  if (rows.length === 0) problem(file, lineOf(table), 'the Phases table has no phases');
  return phases;
}

/** Fills a phase in from its file: dependencies, the Process Wrapper checklist, gates. */
function readPhaseFile(root: string, phase: PhaseSpec, byId: Map<string, PhaseSpec>, problem: Report, addEdge: (from: string, to: string, file: string, line: number) => void): void {
  if (!phase.file) return; // its problem was reported with the table row
  const read = readPlanText(join(root, phase.file));
  if ('problem' in read) return;
  const text = read.text;
  const file = phase.file;
  const tree = parseMarkdown(text);
  const fields = headerFields(tree, text);
  if (!fields.has('status')) problem(file, 1, 'no **Status:** line: add "**Status:** Pending" under the title');
  const depends = fields.get('depends on');
  if (depends) {
    const byFile = new Map([...byId.values()].map((p) => [p.file, p.id]));
    for (const link of depends.links) {
      const decoded = decodeLink(link);
      if (decoded === null) {
        problem(file, depends.line, `Depends On links to ${link}, which has a malformed %-escape`);
        continue;
      }
      const target = toRelative(root, resolve(root, dirname(file), decoded));
      const id = byFile.get(target);
      if (id) addEdge(id, phase.id, file, depends.line);
      else problem(file, depends.line, `Depends On links to ${target}, which is not a phase file of the master plan`);
    }
    if (depends.links.length === 0 && !/^(n\/?a|none|-|—|)$/i.test(depends.value.trim())) {
      for (const token of depends.value.split(/,|&|\band\b/).map(phaseToken).filter(Boolean)) addEdge(token, phase.id, file, depends.line);
    }
  }

  const all = sections(tree);
  const wrapper = all.find((s) => /process wrapper/i.test(s.title));
  if (!wrapper) problem(file, 1, 'no "## Process Wrapper (MANDATORY)" section: add the checklist with the [IMPLEMENTATION] marker and "Write notes to:"');
  for (const item of wrapper ? listItems(wrapper.nodes) : []) {
    const itemText = textOf(item);
    for (const match of itemText.matchAll(/AGENT:\s*([A-Za-z0-9][\w.:-]*)/g)) phase.required_agents.push(match[1]!);
    if (/\[IMPLEMENTATION/i.test(itemText)) phase.implementation = true;
    const paths = () => {
      const code = findAll(item, 'inlineCode').map((node) => node.value.trim());
      return code.length ? code : [itemText.replace(/^[^:]*:/, '').replace(/\(.*?\)/g, '').trim()].filter(Boolean);
    };
    if (/read previous notes/i.test(itemText)) phase.read_notes.push(...paths().flatMap((p) => p.split(/,\s*/)));
    if (/write notes to/i.test(itemText)) phase.write_notes = paths()[0] ?? null;
  }

  const gates = all.find((s) => /^gates\b/i.test(s.title));
  if (!gates) problem(file, 1, 'no "## Gates" section: add one with lines like "- npm test: the tests pass"');
  else {
    for (const item of listItems(gates.nodes)) {
      const gate = gateOf(item);
      if (gate) phase.gates.push(gate);
      else problem(file, lineOf(item), 'this gate has no command: write "- <command>: <description>"');
    }
    if (listItems(gates.nodes).length === 0) problem(file, gates.line, 'no gates: the orchestrator verifies a phase by its gates; add lines like "- npm test: the tests pass"');
  }
  if (!all.some((s) => /^tasks\b/i.test(s.title))) problem(file, 1, 'no "## Tasks" section: list the work of the phase under "## Tasks"');
}

/** `- <command>: <description>`, or `` - `command`: description `` when the command has ": " in it. */
function gateOf(item: Nodes): Gate | null {
  const paragraph = 'children' in item ? item.children.find((node) => node.type === 'paragraph') : undefined;
  if (!paragraph || !('children' in paragraph)) return null;
  const [first, ...rest] = paragraph.children;
  if (first?.type === 'inlineCode') {
    const description = rest.map(textOf).join('').replace(/^\s*[:\-–—]\s*/, '').trim();
    return first.value.trim() ? { command: first.value.trim(), description } : null;
  }
  const text = textOf(paragraph).trim();
  const colon = text.indexOf(': ');
  const command = (colon < 0 ? text : text.slice(0, colon)).trim();
  return command ? { command, description: colon < 0 ? '' : text.slice(colon + 2).trim() } : null;
}

interface Field {
  value: string;
  links: string[];
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
      const links = node.children.slice(i + 1).filter((n) => n.type === 'link' && n.position!.start.offset! < end).map((n) => (n as { url: string }).url);
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
 * file. Returns what it could not write (a file or line that is gone), for the run's log.
 */
export function writePhaseStatus(root: string, planFile: string, phase: Pick<PhaseSpec, 'id' | 'file'>, status: PhaseStatus, write: (file: string, text: string) => void): string[] {
  const missed: string[] = [];
  const planText = textOrNull(join(root, planFile));
  const table = planText === null ? null : phasesTable(parseMarkdown(planText));
  const header = table?.children[0]?.children.map((cell) => textOf(cell).trim().toLowerCase()) ?? [];
  const row = table?.children.slice(1).find((r) => phaseToken(textOf(r.children[header.indexOf('phase')] ?? { type: 'text', value: '' }).trim()) === phase.id);
  const cell = row?.children[header.indexOf('status')];
  if (planText !== null && cell) {
    let start = cell.position!.start.offset! + 1;
    let end = cell.position!.end.offset!;
    if (planText[end - 1] === '|' && end - 1 >= start) end -= 1;
    if (planText[start - 1] !== '|') start -= 1;
    const old = planText.slice(start, end);
    // A column padded for alignment stays as wide as it was.
    const fresh = old.endsWith('  ') ? ` ${status} `.padEnd(old.length, ' ') : ` ${status} `;
    write(join(root, planFile), planText.slice(0, start) + fresh + planText.slice(end));
  } else missed.push(`${planFile}: no Status cell for phase ${phase.id}`);
  const phaseText = textOrNull(join(root, phase.file));
  const field = phaseText === null ? undefined : headerFields(parseMarkdown(phaseText), phaseText).get('status');
  if (phaseText !== null && field) write(join(root, phase.file), phaseText.slice(0, field.start) + status + phaseText.slice(field.end));
  else missed.push(`${phase.file}: no **Status:** line`);
  return missed;
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

function phaseStatus(text: string): PhaseStatus | null {
  const words = text.replace(/[^A-Za-z ]/g, ' ').replace(/\s+/g, ' ').trim().toLowerCase();
  return PHASE_STATUSES.find((status) => status.toLowerCase() === words) ?? null;
}

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
