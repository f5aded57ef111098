-- +goose Up
-- The sections of a record's page (postgres/sections.go): the first ten
-- records under a customer, an opportunity, an order or a lead in the
-- section's order, and their count up to 1 000. Each is one index: the
-- parent's column, then the section's order with the id last (so that the
-- first ten are the first ten entries), then — as INCLUDE — every column
-- the permission condition reads (postgres.ViewScope), so that the count,
-- and the pick of the first ten, are index-only scans that test the
-- condition in the index instead of on each row's heap page. Each replaces
-- the parent's plain index, whose leading column it keeps (foreign-key
-- checks, the lists narrowed to one parent).

DROP INDEX contacts_customer_idx;
CREATE INDEX contacts_customer_idx ON contacts (customer_id, is_primary DESC, created_at DESC, id DESC)
    INCLUDE (owner_id, department_id, created_by, customer_owner_id, customer_department_id);

DROP INDEX follow_ups_customer_idx;
CREATE INDEX follow_ups_customer_idx ON follow_ups (customer_id, followed_at DESC, id DESC)
    INCLUDE (owner_id, department_id, created_by, customer_owner_id, customer_department_id)
    WHERE customer_id IS NOT NULL;
DROP INDEX follow_ups_lead_idx;
CREATE INDEX follow_ups_lead_idx ON follow_ups (lead_id, followed_at DESC, id DESC)
    INCLUDE (owner_id, department_id, created_by, customer_id, customer_owner_id, customer_department_id)
    WHERE lead_id IS NOT NULL;
DROP INDEX follow_ups_opportunity_idx;
CREATE INDEX follow_ups_opportunity_idx ON follow_ups (opportunity_id, followed_at DESC, id DESC)
    INCLUDE (owner_id, department_id, created_by, customer_id, customer_owner_id, customer_department_id)
    WHERE opportunity_id IS NOT NULL;

DROP INDEX opportunities_customer_idx;
CREATE INDEX opportunities_customer_idx ON opportunities (customer_id, created_at DESC, id DESC)
    INCLUDE (owner_id, department_id, created_by, customer_owner_id, customer_department_id);

DROP INDEX quotes_customer_idx;
CREATE INDEX quotes_customer_idx ON quotes (customer_id, created_at DESC, id DESC)
    INCLUDE (owner_id, department_id, created_by, customer_owner_id, customer_department_id);
DROP INDEX quotes_opportunity_idx;
CREATE INDEX quotes_opportunity_idx ON quotes (opportunity_id, created_at DESC, id DESC)
    INCLUDE (owner_id, department_id, created_by, customer_id, customer_owner_id, customer_department_id);

DROP INDEX orders_customer_idx;
CREATE INDEX orders_customer_idx ON orders (customer_id, created_at DESC, id DESC)
    INCLUDE (owner_id, department_id, created_by, approver_id, customer_owner_id, customer_department_id);
DROP INDEX orders_opportunity_idx;
CREATE INDEX orders_opportunity_idx ON orders (opportunity_id, created_at DESC, id DESC)
    INCLUDE (owner_id, department_id, created_by, approver_id, customer_id, customer_owner_id, customer_department_id);

DROP INDEX payments_customer_idx;
CREATE INDEX payments_customer_idx ON payments (customer_id, paid_on DESC, id DESC)
    INCLUDE (owner_id, department_id, created_by, customer_owner_id, customer_department_id);
DROP INDEX payments_order_idx;
CREATE INDEX payments_order_idx ON payments (order_id, paid_on DESC, id DESC)
    INCLUDE (owner_id, department_id, created_by, customer_id, customer_owner_id, customer_department_id);

DROP INDEX invoices_customer_idx;
CREATE INDEX invoices_customer_idx ON invoices (customer_id, issued_on DESC, id DESC)
    INCLUDE (owner_id, department_id, created_by, customer_owner_id, customer_department_id);
DROP INDEX invoices_order_idx;
CREATE INDEX invoices_order_idx ON invoices (order_id, issued_on DESC, id DESC)
    INCLUDE (owner_id, department_id, created_by, customer_id, customer_owner_id, customer_department_id);

-- +goose Down
DROP INDEX invoices_order_idx, invoices_customer_idx, payments_order_idx, payments_customer_idx,
    orders_opportunity_idx, orders_customer_idx, quotes_opportunity_idx, quotes_customer_idx,
    opportunities_customer_idx, follow_ups_opportunity_idx, follow_ups_lead_idx, follow_ups_customer_idx,
    contacts_customer_idx;
CREATE INDEX invoices_order_idx ON invoices (order_id);
CREATE INDEX invoices_customer_idx ON invoices (customer_id);
CREATE INDEX payments_order_idx ON payments (order_id);
CREATE INDEX payments_customer_idx ON payments (customer_id);
CREATE INDEX orders_opportunity_idx ON orders (opportunity_id);
CREATE INDEX orders_customer_idx ON orders (customer_id, created_at DESC);
CREATE INDEX quotes_opportunity_idx ON quotes (opportunity_id);
CREATE INDEX quotes_customer_idx ON quotes (customer_id, created_at DESC);
CREATE INDEX opportunities_customer_idx ON opportunities (customer_id);
CREATE INDEX follow_ups_opportunity_idx ON follow_ups (opportunity_id, followed_at DESC) WHERE opportunity_id IS NOT NULL;
CREATE INDEX follow_ups_lead_idx ON follow_ups (lead_id, followed_at DESC) WHERE lead_id IS NOT NULL;
CREATE INDEX follow_ups_customer_idx ON follow_ups (customer_id, followed_at DESC) WHERE customer_id IS NOT NULL;
CREATE INDEX contacts_customer_idx ON contacts (customer_id);
