-- The contact lookup's query timed inside PostgreSQL (no client, no round trips): 20,000 lookups, 20% unknown.
-- Run on a database bench/telephony-contact.ts kept: psql -d <db> -f bench/telephony-contact-db.sql
-- Keep the SELECT in step with src/telephony/contact-lookup.ts.
CREATE TEMP TABLE t(ms float8);
DO $$
DECLARE i int; p text; t0 timestamptz; r record;
BEGIN
  FOR i IN 1..20000 LOOP
    p := CASE WHEN random() < 0.2 THEN '+7900' || lpad((floor(random()*1e7))::bigint::text, 7, '0')
         ELSE '+79' || lpad((((1 + floor(random()*1000000))::bigint * 387420489 + 12345) % 1000000000)::text, 9, '0') END;
    t0 := clock_timestamp();
    SELECT c.name, co.name AS company_name, c.responsible AS cr, co.responsible AS cor,
      (SELECT d.responsible FROM deals d WHERE d.contact_id = c.id AND d.status = 'active' ORDER BY d.updated_at DESC LIMIT 1) AS dr,
      (SELECT l.responsible FROM leads l WHERE l.contact_id = c.id AND l.status IN ('new', 'in_progress') LIMIT 1) AS lr
    INTO r
    FROM identities i JOIN contacts c ON c.id = i.contact_id LEFT JOIN companies co ON co.id = c.company_id
    WHERE i.kind = 'phone' AND i.value = p AND i.verified;
    INSERT INTO t VALUES (extract(epoch FROM clock_timestamp() - t0) * 1000);
  END LOOP;
END $$;
SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 4) p50,
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 4) p99,
       round(percentile_cont(0.999) WITHIN GROUP (ORDER BY ms)::numeric, 4) p999,
       round(max(ms)::numeric, 3) mx FROM t;
