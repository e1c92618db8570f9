import type { Sql, TransactionSql } from 'postgres';

/** A pool or a transaction: repository functions run in whichever the caller holds. */
export type Queryable = Sql | TransactionSql;
