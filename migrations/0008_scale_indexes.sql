-- +goose Up

-- Indexes and statistics for a million customers (docs/performance.md;
-- postgres/plan_test.go guards the plans they give).

-- Two-character searches (a Chinese given name such as 李娜, a company's
-- 字号): pg_trgm extracts no trigram from a pattern shorter than three
-- characters, so ILIKE '%李娜%' could only scan the table. Doubling every
-- character turns each pair into trigrams: wherever expr contains 李娜,
-- regexp_replace(expr, '(.)', '\1\1', 'g') contains 李李娜娜, whose
-- trigrams (李李娜, 李娜娜) a trigram index finds. postgres.query.search
-- adds that condition to two-character searches; the ILIKE on expr still
-- decides, so the rows found are the same. (An index over an array of the
-- pairs answers the same question but builds three times slower: a SQL
-- function per row costs more than the regular expression.)
CREATE INDEX customers_search_pairs ON customers
    USING gin (regexp_replace(name || ' ' || phone, '(.)', '\1\1', 'g') gin_trgm_ops);
CREATE INDEX leads_search_pairs ON leads
    USING gin (regexp_replace(name || ' ' || company || ' ' || phone, '(.)', '\1\1', 'g') gin_trgm_ops);
CREATE INDEX contacts_search_pairs ON contacts
    USING gin (regexp_replace(name || ' ' || phone, '(.)', '\1\1', 'g') gin_trgm_ops);

-- The owner indexes hold owned records only: the pool is
-- customers_pool_idx's. The 公海 tab ANDs owner_id IS NULL onto the
-- permission condition, and with IS NULL twice the planner misjudged the
-- pool (its selectivity squared) and read every pool record of the
-- company through the owner index. With the id, a page of a big book (a
-- rep with 20 000 customers, page 500) is found index-only.
DROP INDEX customers_owner_idx;
CREATE INDEX customers_owner_idx ON customers (owner_id, created_at DESC, id DESC) WHERE owner_id IS NOT NULL;
DROP INDEX leads_owner_idx;
CREATE INDEX leads_owner_idx ON leads (owner_id, created_at DESC, id DESC) WHERE owner_id IS NOT NULL;

-- The creator's branch of the permission condition, narrowed on the 公海
-- tab to what is in the pool: a rep who created 17 000 customers no longer
-- reads them all to find the few he released.
DROP INDEX customers_created_by_idx;
CREATE INDEX customers_created_by_idx ON customers (created_by, owner_id);
DROP INDEX leads_created_by_idx;
CREATE INDEX leads_created_by_idx ON leads (created_by, owner_id);

-- A big book sorted by 成交金额 (我负责的, the default tab of reps).
CREATE INDEX customers_owner_deal_idx ON customers (owner_id, deal_amount DESC, id DESC) WHERE owner_id IS NOT NULL;

-- The approval inbox and its badge on every page: an approver's pending
-- orders (and those without approver, for management), oldest first.
CREATE INDEX orders_inbox_idx ON orders (approver_id, submitted_at, id) WHERE status = 'pending';

-- The dashboard ranks salespeople by their follow-ups in a period: with
-- the period first the count reads one month of the index, not all of it
-- (follow_ups_owner_idx leads with the owner).
CREATE INDEX follow_ups_followed_owner_idx ON follow_ups (followed_at, owner_id);

-- The planner's view of each employee and department: with 300 employees
-- and the default 100 most common values, an employee outside them (a
-- presales engineer who owns nothing) was estimated at hundreds of rows,
-- and a walk down the created_at index, filtering, looked cheaper than
-- reading his few rows — 50 000 rows read for one page. A target above
-- the number of employees keeps every one of them in the statistics.
ALTER TABLE customers ALTER COLUMN owner_id SET STATISTICS 1000, ALTER COLUMN created_by SET STATISTICS 1000,
    ALTER COLUMN department_id SET STATISTICS 1000;
ALTER TABLE leads ALTER COLUMN owner_id SET STATISTICS 1000, ALTER COLUMN created_by SET STATISTICS 1000,
    ALTER COLUMN department_id SET STATISTICS 1000;
ALTER TABLE follow_ups ALTER COLUMN owner_id SET STATISTICS 1000, ALTER COLUMN created_by SET STATISTICS 1000,
    ALTER COLUMN department_id SET STATISTICS 1000, ALTER COLUMN customer_owner_id SET STATISTICS 1000,
    ALTER COLUMN customer_department_id SET STATISTICS 1000;
ALTER TABLE contacts ALTER COLUMN owner_id SET STATISTICS 1000, ALTER COLUMN created_by SET STATISTICS 1000,
    ALTER COLUMN department_id SET STATISTICS 1000, ALTER COLUMN customer_owner_id SET STATISTICS 1000,
    ALTER COLUMN customer_department_id SET STATISTICS 1000;
ALTER TABLE opportunities ALTER COLUMN owner_id SET STATISTICS 1000, ALTER COLUMN created_by SET STATISTICS 1000,
    ALTER COLUMN department_id SET STATISTICS 1000, ALTER COLUMN customer_owner_id SET STATISTICS 1000,
    ALTER COLUMN customer_department_id SET STATISTICS 1000;
ALTER TABLE orders ALTER COLUMN owner_id SET STATISTICS 1000, ALTER COLUMN created_by SET STATISTICS 1000,
    ALTER COLUMN department_id SET STATISTICS 1000, ALTER COLUMN customer_owner_id SET STATISTICS 1000,
    ALTER COLUMN customer_department_id SET STATISTICS 1000, ALTER COLUMN approver_id SET STATISTICS 1000;

-- +goose Down
ALTER TABLE orders ALTER COLUMN owner_id SET STATISTICS -1, ALTER COLUMN created_by SET STATISTICS -1,
    ALTER COLUMN department_id SET STATISTICS -1, ALTER COLUMN customer_owner_id SET STATISTICS -1,
    ALTER COLUMN customer_department_id SET STATISTICS -1, ALTER COLUMN approver_id SET STATISTICS -1;
ALTER TABLE opportunities ALTER COLUMN owner_id SET STATISTICS -1, ALTER COLUMN created_by SET STATISTICS -1,
    ALTER COLUMN department_id SET STATISTICS -1, ALTER COLUMN customer_owner_id SET STATISTICS -1,
    ALTER COLUMN customer_department_id SET STATISTICS -1;
ALTER TABLE contacts ALTER COLUMN owner_id SET STATISTICS -1, ALTER COLUMN created_by SET STATISTICS -1,
    ALTER COLUMN department_id SET STATISTICS -1, ALTER COLUMN customer_owner_id SET STATISTICS -1,
    ALTER COLUMN customer_department_id SET STATISTICS -1;
ALTER TABLE follow_ups ALTER COLUMN owner_id SET STATISTICS -1, ALTER COLUMN created_by SET STATISTICS -1,
    ALTER COLUMN department_id SET STATISTICS -1, ALTER COLUMN customer_owner_id SET STATISTICS -1,
    ALTER COLUMN customer_department_id SET STATISTICS -1;
ALTER TABLE leads ALTER COLUMN owner_id SET STATISTICS -1, ALTER COLUMN created_by SET STATISTICS -1,
    ALTER COLUMN department_id SET STATISTICS -1;
ALTER TABLE customers ALTER COLUMN owner_id SET STATISTICS -1, ALTER COLUMN created_by SET STATISTICS -1,
    ALTER COLUMN department_id SET STATISTICS -1;
DROP INDEX follow_ups_followed_owner_idx;
DROP INDEX orders_inbox_idx;
DROP INDEX customers_owner_deal_idx;
DROP INDEX leads_created_by_idx;
CREATE INDEX leads_created_by_idx ON leads (created_by);
DROP INDEX customers_created_by_idx;
CREATE INDEX customers_created_by_idx ON customers (created_by);
DROP INDEX leads_owner_idx;
CREATE INDEX leads_owner_idx ON leads (owner_id, created_at DESC);
DROP INDEX customers_owner_idx;
CREATE INDEX customers_owner_idx ON customers (owner_id, created_at DESC);
DROP INDEX contacts_search_pairs;
DROP INDEX leads_search_pairs;
DROP INDEX customers_search_pairs;
