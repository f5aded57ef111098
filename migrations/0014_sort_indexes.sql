-- +goose Up
-- Every sort of every list is served by one btree index in both directions
-- (postgres.orderBy: descending is the exact reverse of ascending, NULLs
-- included; TestSortsIndexed checks it). The columns sorted newest first
-- (last follow-up, decision, submission, signing, confirmation, campaign
-- dates) keep their NULLs first ascending, so last descending.

-- Board order as a column, so that it can be indexed and compared.
ALTER TABLE opportunities ADD COLUMN stage_rank smallint GENERATED ALWAYS AS (
    CASE stage WHEN 'initial' THEN 1 WHEN 'needs' THEN 2 WHEN 'proposal' THEN 3
        WHEN 'negotiation' THEN 4 WHEN 'won' THEN 5 ELSE 6 END) STORED;

DROP INDEX customers_last_follow_up_idx;
CREATE INDEX customers_last_follow_up_idx ON customers (last_follow_up_at NULLS FIRST, id);
DROP INDEX customers_name_idx;
CREATE INDEX customers_name_idx ON customers (name, id);
CREATE INDEX customers_next_sort_idx ON customers (next_follow_up_at, id);
-- A rep's book sorted by the last follow-up, and the level × industry filters.
CREATE INDEX customers_owner_last_idx ON customers (owner_id, last_follow_up_at NULLS FIRST, id) WHERE owner_id IS NOT NULL;
CREATE INDEX customers_level_industry_idx ON customers (level_id, industry_id, owner_id);

CREATE INDEX leads_name_idx ON leads (name, id);
CREATE INDEX leads_company_idx ON leads (company, id);
CREATE INDEX leads_status_idx ON leads (status, id);
CREATE INDEX leads_next_sort_idx ON leads (next_follow_up_at, id);
CREATE INDEX leads_deal_idx ON leads (deal_amount, id);

CREATE INDEX follow_ups_next_idx ON follow_ups (next_at, id);

CREATE INDEX opportunities_name_idx ON opportunities (name, id);
CREATE INDEX opportunities_amount_idx ON opportunities (expected_amount, id);
CREATE INDEX opportunities_close_idx ON opportunities (expected_close, id);
CREATE INDEX opportunities_stage_rank_idx ON opportunities (stage_rank, id);

CREATE INDEX quotes_number_idx ON quotes (number, id);
CREATE INDEX quotes_date_idx ON quotes (quote_date, id);
CREATE INDEX quotes_valid_idx ON quotes (valid_until, id);
CREATE INDEX quotes_total_idx ON quotes (total, id);
CREATE INDEX quotes_status_idx ON quotes (status, id);

CREATE INDEX orders_number_idx ON orders (number, id);
CREATE INDEX orders_sign_idx ON orders (sign_date NULLS FIRST, id);
CREATE INDEX orders_total_idx ON orders (total, id);
CREATE INDEX orders_status_idx ON orders (status, id);
CREATE INDEX orders_submitted_idx ON orders (submitted_at NULLS FIRST, id);
CREATE INDEX orders_decided_idx ON orders (decided_at NULLS FIRST, id);
-- Status with the decision date (rejected in 2024).
CREATE INDEX orders_status_decided_idx ON orders (status, decided_at, id);

CREATE INDEX payments_amount_idx ON payments (amount, id);
CREATE INDEX payments_confirmed_idx ON payments (confirmed_at NULLS FIRST, id);
CREATE INDEX invoices_amount_idx ON invoices (amount, id);
CREATE INDEX invoices_confirmed_idx ON invoices (confirmed_at NULLS FIRST, id);

-- Small tables (tens of campaigns, hundreds of products), indexed all the same.
CREATE INDEX campaigns_name_idx ON campaigns (name, id);
CREATE INDEX campaigns_status_idx ON campaigns (status, id);
CREATE INDEX campaigns_start_idx ON campaigns (start_date NULLS FIRST, id);
CREATE INDEX campaigns_end_idx ON campaigns (end_date NULLS FIRST, id);
CREATE INDEX campaigns_budget_idx ON campaigns (budget, id);
CREATE INDEX campaigns_cost_idx ON campaigns (actual_cost, id);
CREATE INDEX campaigns_leads_idx ON campaigns (lead_count, id);
CREATE INDEX campaigns_customers_idx ON campaigns (customer_count, id);
CREATE INDEX campaigns_deal_idx ON campaigns (deal_amount, id);
CREATE INDEX products_sku_idx ON products (sku, id);
CREATE INDEX products_name_idx ON products (name, id);
CREATE INDEX products_category_idx ON products (category, name, id);
CREATE INDEX products_price_idx ON products (list_price, id);
CREATE INDEX products_created_idx ON products (created_at, id);

-- +goose Down
DROP INDEX products_created_idx, products_price_idx, products_category_idx, products_name_idx, products_sku_idx,
    campaigns_deal_idx, campaigns_customers_idx, campaigns_leads_idx, campaigns_cost_idx, campaigns_budget_idx,
    campaigns_end_idx, campaigns_start_idx, campaigns_status_idx, campaigns_name_idx,
    invoices_confirmed_idx, invoices_amount_idx, payments_confirmed_idx, payments_amount_idx,
    orders_status_decided_idx, orders_decided_idx, orders_submitted_idx, orders_status_idx, orders_total_idx,
    orders_sign_idx, orders_number_idx, quotes_status_idx, quotes_total_idx, quotes_valid_idx, quotes_date_idx,
    quotes_number_idx, opportunities_stage_rank_idx, opportunities_close_idx, opportunities_amount_idx,
    opportunities_name_idx, follow_ups_next_idx, leads_deal_idx, leads_next_sort_idx, leads_status_idx,
    leads_company_idx, leads_name_idx, customers_level_industry_idx, customers_owner_last_idx,
    customers_next_sort_idx, customers_name_idx, customers_last_follow_up_idx;
CREATE INDEX customers_last_follow_up_idx ON customers (last_follow_up_at, id);
CREATE INDEX customers_name_idx ON customers (name);
ALTER TABLE opportunities DROP COLUMN stage_rank;
