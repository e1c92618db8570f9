import type { Queryable as Sql } from './queryable.js';

/**
 * Makes the rest of the caller's transaction run its prepared statements' generic plans, and makes those plans
 * key lookups whatever the statistics say: no sequential scans, no hash or merge joins. For transactions whose
 * every statement reads or writes rows by key (the decision of a batch of events), where re-planning each
 * statement at every execution costs as much server CPU as running it: PostgreSQL keeps re-planning a
 * `= ANY($1)` of a short array, whose custom plan always looks cheaper than the generic one.
 *
 * Why the restrictions: a generic plan is made once per connection and kept until the table's statistics
 * change. Made on a young or never-analyzed table, PostgreSQL's free choice is a sequential scan or a hash
 * join of the whole (small) table, and that plan then stays while the table grows (5,000 scans of 60,000 rows
 * per table in one bench run). Restricted, the plan is an index lookup at any size; ANALYZE (autovacuum, or
 * src/db/maintenance.ts where there is none) still makes PostgreSQL plan again with fresh statistics.
 *
 * The settings end with the transaction. The query is sent at once (postgres.js otherwise sends a query when
 * it is awaited), so that the statements the caller issues next, pipelined behind it, run under it.
 */
export function useKeyLookupPlans(tx: Sql, opts: { statementTimeout: string }) {
  return tx`SELECT set_config('statement_timeout', ${opts.statementTimeout}, true),
    set_config('plan_cache_mode', 'force_generic_plan', true),
    set_config('enable_seqscan', 'off', true),
    set_config('enable_hashjoin', 'off', true),
    set_config('enable_mergejoin', 'off', true)`.execute();
}
