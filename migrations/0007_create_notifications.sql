-- +goose Up

-- notifications are the in-app messages of issue 6 (通知): a lead or
-- customer assigned to or taken from someone, an order waiting for their
-- approval, their order approved or rejected, a payment or invoice on their
-- order confirmed. Each points at one record (resource, record_id) that the
-- recipient could view when it was written (postgres.notify checks the
-- policy); title is that record's name or number at the time, detail an
-- amount or a comment. Rows go with their recipient (demo purge).
CREATE TABLE notifications (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient_id  bigint NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('assigned', 'transferred', 'released', 'approval_requested',
                                                'order_approved', 'order_rejected', 'payment_confirmed', 'invoice_confirmed')),
    resource      text NOT NULL,
    record_id     bigint NOT NULL,
    title         text NOT NULL DEFAULT '',
    detail        text NOT NULL DEFAULT '',
    actor_id      bigint REFERENCES employees (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    read_at       timestamptz
);
CREATE INDEX notifications_recipient_idx ON notifications (recipient_id, id DESC);
-- The bell counts these on every page: only the unread rows are indexed.
CREATE INDEX notifications_unread_idx ON notifications (recipient_id, id DESC) WHERE read_at IS NULL;

-- dashboard_hidden_sections: every role sees every dashboard section it may
-- see by default (seed §2.2); the admin hides a section from a role by
-- adding a row here (/admin/dashboard).
CREATE TABLE dashboard_hidden_sections (
    role        text NOT NULL CHECK (role IN ('admin', 'management', 'sales_manager', 'sales_rep', 'marketing', 'finance')),
    section     text NOT NULL,
    hidden_by   bigint REFERENCES employees (id) ON DELETE SET NULL,
    hidden_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (role, section)
);

-- The dashboard's figures (postgres.Dashboard) never sum a company's
-- history on a page view: each reads one range of one of these indexes —
-- the rows of the period, or the open items — and nothing else. Every
-- index carries the figure and the columns the permission condition
-- (postgres.ViewScope) and the filters test, so that the scan is
-- index-only whoever looks, the cost is the period's rows, not the
-- table's. 成交金额 by the day an order was approved:
CREATE INDEX orders_approved_idx ON orders (decided_at)
    INCLUDE (total, owner_id, department_id, created_by, approver_id, customer_owner_id, customer_department_id, customer_id)
    WHERE status = 'approved';
-- 待回款金额 and receivables by age: the approved orders not paid in full
-- (the open receivables, not the whole history),
CREATE INDEX orders_receivable_idx ON orders (decided_at)
    INCLUDE (total, paid_amount, owner_id, department_id, created_by, approver_id, customer_owner_id, customer_department_id, customer_id)
    WHERE status = 'approved' AND paid_amount < total;
-- 回款金额 by the day the money came (confirmed payments),
CREATE INDEX payments_confirmed_paid_on_idx ON payments (paid_on)
    INCLUDE (amount, owner_id, department_id, created_by, customer_owner_id, customer_department_id, customer_id)
    WHERE confirmed;
-- new leads by source, new customers by level, the funnel of the period's
-- opportunities, follow-ups of the week and per salesperson,
CREATE INDEX leads_dashboard_idx ON leads (created_at) INCLUDE (source_id, owner_id, department_id, created_by);
CREATE INDEX customers_dashboard_idx ON customers (created_at) INCLUDE (level_id, owner_id, department_id, created_by, id);
CREATE INDEX opportunities_dashboard_idx ON opportunities (created_at)
    INCLUDE (stage, expected_amount, owner_id, department_id, created_by, customer_owner_id, customer_department_id, customer_id);
CREATE INDEX follow_ups_dashboard_idx ON follow_ups (followed_at)
    INCLUDE (owner_id, department_id, created_by, customer_owner_id, customer_department_id, customer_id);
-- 今日待跟进 and overdue follow-ups: leads and customers whose next
-- follow-up is set and has not been done since (no follow-up logged at or
-- after it) — by time for those who see a team's, by owner and time for
-- one's own.
CREATE INDEX leads_follow_up_open_idx ON leads (next_follow_up_at) INCLUDE (status, owner_id, department_id, created_by)
    WHERE next_follow_up_at IS NOT NULL AND (last_follow_up_at IS NULL OR last_follow_up_at < next_follow_up_at);
CREATE INDEX customers_follow_up_open_idx ON customers (next_follow_up_at) INCLUDE (owner_id, department_id, created_by, id)
    WHERE next_follow_up_at IS NOT NULL AND (last_follow_up_at IS NULL OR last_follow_up_at < next_follow_up_at);
CREATE INDEX leads_my_follow_ups_idx ON leads (owner_id, next_follow_up_at) INCLUDE (status)
    WHERE next_follow_up_at IS NOT NULL AND (last_follow_up_at IS NULL OR last_follow_up_at < next_follow_up_at);
CREATE INDEX customers_my_follow_ups_idx ON customers (owner_id, next_follow_up_at)
    WHERE next_follow_up_at IS NOT NULL AND (last_follow_up_at IS NULL OR last_follow_up_at < next_follow_up_at);

-- +goose Down
DROP INDEX customers_my_follow_ups_idx;
DROP INDEX leads_my_follow_ups_idx;
DROP INDEX customers_follow_up_open_idx;
DROP INDEX leads_follow_up_open_idx;
DROP INDEX follow_ups_dashboard_idx;
DROP INDEX opportunities_dashboard_idx;
DROP INDEX customers_dashboard_idx;
DROP INDEX leads_dashboard_idx;
DROP INDEX payments_confirmed_paid_on_idx;
DROP INDEX orders_receivable_idx;
DROP INDEX orders_approved_idx;
DROP TABLE dashboard_hidden_sections;
DROP TABLE notifications;
