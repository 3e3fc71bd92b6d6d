/** Writes the tour's master plan (three phases, gates) into `folder` as a new git repository. */
export function writeTourPlan(folder: string): void;
/** The command agent's arguments for `orchestrate run`. */
export const tourAgent: string[];
/** A plan of `count` independent phases, each writing phase-<n>.txt. */
export function writeWidePlan(folder: string, count: number): void;
