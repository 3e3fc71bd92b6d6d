-- A board after months of nights (100 000 tasks, a million events): what a view or `status` reads
-- first, the rows still in play and the newest finished ones, is found per state along an index,
-- never by reading every row (views/model.ts).
CREATE INDEX tasks_status ON tasks (status, seq);
CREATE INDEX agents_status ON agents (status, seq);
CREATE INDEX runs_status ON runs (status, seq);
