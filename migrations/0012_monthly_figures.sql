-- +goose Up

-- The dashboard's figures over periods — 成交金额 and 回款金额 per month for
-- the 12-month chart and the period's tiles, and the salesperson ranking
-- (deals, payments, follow-ups per owner) — summed a year of orders,
-- payments and follow-ups on every view: 40–55 ms each for those who view
-- everything, and sixteen dashboards at once queued for seconds. They are
-- kept per month, owner, department and the customer's department by the
-- write path instead:
-- statement-level triggers add each statement's change (an approval, a
-- confirmation, a follow-up, a reassignment, an import, a delete), so a
-- bulk import of 100 000 follow-ups does one upsert per month and owner.
-- postgres.Dashboard reads them for whole-month periods: all of them for
-- those who view every order, payment and follow-up (management, finance,
-- the admin), a manager's departments (by the record's or its customer's
-- department, postgres.DepartmentBranch) for a manager, who gets the few
-- records he views outside them summed from the records; a rep's figures,
-- and any period that is not whole months, are summed from the records as
-- before. Months are Asia/Shanghai's, like the dashboard's.
CREATE TABLE monthly_figures (
    month          date   NOT NULL,
    owner_id       bigint NOT NULL DEFAULT 0,  -- 0: none (the pool)
    department_id  bigint NOT NULL DEFAULT 0,  -- 0: none
    customer_department_id bigint NOT NULL DEFAULT 0,  -- the customer's (or lead's) department; 0: none
    deal_amount    numeric(18, 2) NOT NULL DEFAULT 0,  -- approved orders' totals, by month of approval
    deal_count     bigint NOT NULL DEFAULT 0,
    paid_amount    numeric(18, 2) NOT NULL DEFAULT 0,  -- confirmed payments, by month paid
    paid_count     bigint NOT NULL DEFAULT 0,
    follow_ups     bigint NOT NULL DEFAULT 0,          -- follow-ups, by month followed
    PRIMARY KEY (month, owner_id, department_id, customer_department_id)
);

INSERT INTO monthly_figures (month, owner_id, department_id, customer_department_id, deal_amount, deal_count)
SELECT month, owner_id, department_id, customer_department_id, sum(deal_amount), sum(deal_count) FROM (SELECT date_trunc('month', n.decided_at AT TIME ZONE 'Asia/Shanghai')::date AS month, coalesce(n.owner_id, 0) AS owner_id, coalesce(n.department_id, 0) AS department_id, coalesce(n.customer_department_id, 0) AS customer_department_id, n.total AS deal_amount, 1 AS deal_count FROM orders n WHERE n.status = 'approved' AND n.decided_at IS NOT NULL) x
GROUP BY 1, 2, 3, 4
ON CONFLICT (month, owner_id, department_id, customer_department_id) DO UPDATE SET deal_amount = EXCLUDED.deal_amount, deal_count = EXCLUDED.deal_count;

INSERT INTO monthly_figures (month, owner_id, department_id, customer_department_id, paid_amount, paid_count)
SELECT month, owner_id, department_id, customer_department_id, sum(paid_amount), sum(paid_count) FROM (SELECT date_trunc('month', n.paid_on)::date AS month, coalesce(n.owner_id, 0) AS owner_id, coalesce(n.department_id, 0) AS department_id, coalesce(n.customer_department_id, 0) AS customer_department_id, n.amount AS paid_amount, 1 AS paid_count FROM payments n WHERE n.confirmed) x
GROUP BY 1, 2, 3, 4
ON CONFLICT (month, owner_id, department_id, customer_department_id) DO UPDATE SET paid_amount = EXCLUDED.paid_amount, paid_count = EXCLUDED.paid_count;

INSERT INTO monthly_figures (month, owner_id, department_id, customer_department_id, follow_ups)
SELECT month, owner_id, department_id, customer_department_id, sum(follow_ups) FROM (SELECT date_trunc('month', n.followed_at AT TIME ZONE 'Asia/Shanghai')::date AS month, coalesce(n.owner_id, 0) AS owner_id, coalesce(n.department_id, 0) AS department_id, coalesce(n.customer_department_id, 0) AS customer_department_id, 1 AS follow_ups FROM follow_ups n WHERE TRUE) x
GROUP BY 1, 2, 3, 4
ON CONFLICT (month, owner_id, department_id, customer_department_id) DO UPDATE SET follow_ups = EXCLUDED.follow_ups;

-- One function per table: each event reads its own transition tables and
-- upserts the months it changed in key order, so that two writers lock the
-- figures in the same order.

-- +goose StatementBegin
CREATE FUNCTION orders_monthly_figures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO monthly_figures (month, owner_id, department_id, customer_department_id, deal_amount, deal_count)
        SELECT month, owner_id, department_id, customer_department_id, sum(deal_amount), sum(deal_count) FROM (SELECT date_trunc('month', n.decided_at AT TIME ZONE 'Asia/Shanghai')::date AS month, coalesce(n.owner_id, 0) AS owner_id, coalesce(n.department_id, 0) AS department_id, coalesce(n.customer_department_id, 0) AS customer_department_id, n.total AS deal_amount, 1 AS deal_count FROM new_rows n WHERE n.status = 'approved' AND n.decided_at IS NOT NULL) x
        GROUP BY 1, 2, 3, 4 HAVING sum(deal_amount) <> 0 OR sum(deal_count) <> 0 ORDER BY 1, 2, 3, 4
        ON CONFLICT (month, owner_id, department_id, customer_department_id) DO UPDATE SET deal_amount = monthly_figures.deal_amount + EXCLUDED.deal_amount, deal_count = monthly_figures.deal_count + EXCLUDED.deal_count;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO monthly_figures (month, owner_id, department_id, customer_department_id, deal_amount, deal_count)
        SELECT month, owner_id, department_id, customer_department_id, sum(deal_amount), sum(deal_count) FROM (SELECT date_trunc('month', o.decided_at AT TIME ZONE 'Asia/Shanghai')::date AS month, coalesce(o.owner_id, 0) AS owner_id, coalesce(o.department_id, 0) AS department_id, coalesce(o.customer_department_id, 0) AS customer_department_id, -o.total AS deal_amount, -1 AS deal_count FROM old_rows o WHERE o.status = 'approved' AND o.decided_at IS NOT NULL) x
        GROUP BY 1, 2, 3, 4 HAVING sum(deal_amount) <> 0 OR sum(deal_count) <> 0 ORDER BY 1, 2, 3, 4
        ON CONFLICT (month, owner_id, department_id, customer_department_id) DO UPDATE SET deal_amount = monthly_figures.deal_amount + EXCLUDED.deal_amount, deal_count = monthly_figures.deal_count + EXCLUDED.deal_count;
    ELSE
        INSERT INTO monthly_figures (month, owner_id, department_id, customer_department_id, deal_amount, deal_count)
        SELECT month, owner_id, department_id, customer_department_id, sum(deal_amount), sum(deal_count) FROM (SELECT date_trunc('month', n.decided_at AT TIME ZONE 'Asia/Shanghai')::date AS month, coalesce(n.owner_id, 0) AS owner_id, coalesce(n.department_id, 0) AS department_id, coalesce(n.customer_department_id, 0) AS customer_department_id, n.total AS deal_amount, 1 AS deal_count FROM new_rows n WHERE n.status = 'approved' AND n.decided_at IS NOT NULL UNION ALL SELECT date_trunc('month', o.decided_at AT TIME ZONE 'Asia/Shanghai')::date AS month, coalesce(o.owner_id, 0) AS owner_id, coalesce(o.department_id, 0) AS department_id, coalesce(o.customer_department_id, 0) AS customer_department_id, -o.total AS deal_amount, -1 AS deal_count FROM old_rows o WHERE o.status = 'approved' AND o.decided_at IS NOT NULL) x
        GROUP BY 1, 2, 3, 4 HAVING sum(deal_amount) <> 0 OR sum(deal_count) <> 0 ORDER BY 1, 2, 3, 4
        ON CONFLICT (month, owner_id, department_id, customer_department_id) DO UPDATE SET deal_amount = monthly_figures.deal_amount + EXCLUDED.deal_amount, deal_count = monthly_figures.deal_count + EXCLUDED.deal_count;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER orders_monthly_figures_ins AFTER INSERT ON orders REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION orders_monthly_figures();
CREATE TRIGGER orders_monthly_figures_del AFTER DELETE ON orders REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION orders_monthly_figures();
CREATE TRIGGER orders_monthly_figures_upd AFTER UPDATE ON orders REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION orders_monthly_figures();

-- +goose StatementBegin
CREATE FUNCTION payments_monthly_figures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO monthly_figures (month, owner_id, department_id, customer_department_id, paid_amount, paid_count)
        SELECT month, owner_id, department_id, customer_department_id, sum(paid_amount), sum(paid_count) FROM (SELECT date_trunc('month', n.paid_on)::date AS month, coalesce(n.owner_id, 0) AS owner_id, coalesce(n.department_id, 0) AS department_id, coalesce(n.customer_department_id, 0) AS customer_department_id, n.amount AS paid_amount, 1 AS paid_count FROM new_rows n WHERE n.confirmed) x
        GROUP BY 1, 2, 3, 4 HAVING sum(paid_amount) <> 0 OR sum(paid_count) <> 0 ORDER BY 1, 2, 3, 4
        ON CONFLICT (month, owner_id, department_id, customer_department_id) DO UPDATE SET paid_amount = monthly_figures.paid_amount + EXCLUDED.paid_amount, paid_count = monthly_figures.paid_count + EXCLUDED.paid_count;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO monthly_figures (month, owner_id, department_id, customer_department_id, paid_amount, paid_count)
        SELECT month, owner_id, department_id, customer_department_id, sum(paid_amount), sum(paid_count) FROM (SELECT date_trunc('month', o.paid_on)::date AS month, coalesce(o.owner_id, 0) AS owner_id, coalesce(o.department_id, 0) AS department_id, coalesce(o.customer_department_id, 0) AS customer_department_id, -o.amount AS paid_amount, -1 AS paid_count FROM old_rows o WHERE o.confirmed) x
        GROUP BY 1, 2, 3, 4 HAVING sum(paid_amount) <> 0 OR sum(paid_count) <> 0 ORDER BY 1, 2, 3, 4
        ON CONFLICT (month, owner_id, department_id, customer_department_id) DO UPDATE SET paid_amount = monthly_figures.paid_amount + EXCLUDED.paid_amount, paid_count = monthly_figures.paid_count + EXCLUDED.paid_count;
    ELSE
        INSERT INTO monthly_figures (month, owner_id, department_id, customer_department_id, paid_amount, paid_count)
        SELECT month, owner_id, department_id, customer_department_id, sum(paid_amount), sum(paid_count) FROM (SELECT date_trunc('month', n.paid_on)::date AS month, coalesce(n.owner_id, 0) AS owner_id, coalesce(n.department_id, 0) AS department_id, coalesce(n.customer_department_id, 0) AS customer_department_id, n.amount AS paid_amount, 1 AS paid_count FROM new_rows n WHERE n.confirmed UNION ALL SELECT date_trunc('month', o.paid_on)::date AS month, coalesce(o.owner_id, 0) AS owner_id, coalesce(o.department_id, 0) AS department_id, coalesce(o.customer_department_id, 0) AS customer_department_id, -o.amount AS paid_amount, -1 AS paid_count FROM old_rows o WHERE o.confirmed) x
        GROUP BY 1, 2, 3, 4 HAVING sum(paid_amount) <> 0 OR sum(paid_count) <> 0 ORDER BY 1, 2, 3, 4
        ON CONFLICT (month, owner_id, department_id, customer_department_id) DO UPDATE SET paid_amount = monthly_figures.paid_amount + EXCLUDED.paid_amount, paid_count = monthly_figures.paid_count + EXCLUDED.paid_count;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER payments_monthly_figures_ins AFTER INSERT ON payments REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION payments_monthly_figures();
CREATE TRIGGER payments_monthly_figures_del AFTER DELETE ON payments REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION payments_monthly_figures();
CREATE TRIGGER payments_monthly_figures_upd AFTER UPDATE ON payments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION payments_monthly_figures();

-- +goose StatementBegin
CREATE FUNCTION follow_ups_monthly_figures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO monthly_figures (month, owner_id, department_id, customer_department_id, follow_ups)
        SELECT month, owner_id, department_id, customer_department_id, sum(follow_ups) FROM (SELECT date_trunc('month', n.followed_at AT TIME ZONE 'Asia/Shanghai')::date AS month, coalesce(n.owner_id, 0) AS owner_id, coalesce(n.department_id, 0) AS department_id, coalesce(n.customer_department_id, 0) AS customer_department_id, 1 AS follow_ups FROM new_rows n WHERE TRUE) x
        GROUP BY 1, 2, 3, 4 HAVING sum(follow_ups) <> 0 ORDER BY 1, 2, 3, 4
        ON CONFLICT (month, owner_id, department_id, customer_department_id) DO UPDATE SET follow_ups = monthly_figures.follow_ups + EXCLUDED.follow_ups;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO monthly_figures (month, owner_id, department_id, customer_department_id, follow_ups)
        SELECT month, owner_id, department_id, customer_department_id, sum(follow_ups) FROM (SELECT date_trunc('month', o.followed_at AT TIME ZONE 'Asia/Shanghai')::date AS month, coalesce(o.owner_id, 0) AS owner_id, coalesce(o.department_id, 0) AS department_id, coalesce(o.customer_department_id, 0) AS customer_department_id, -1 AS follow_ups FROM old_rows o WHERE TRUE) x
        GROUP BY 1, 2, 3, 4 HAVING sum(follow_ups) <> 0 ORDER BY 1, 2, 3, 4
        ON CONFLICT (month, owner_id, department_id, customer_department_id) DO UPDATE SET follow_ups = monthly_figures.follow_ups + EXCLUDED.follow_ups;
    ELSE
        INSERT INTO monthly_figures (month, owner_id, department_id, customer_department_id, follow_ups)
        SELECT month, owner_id, department_id, customer_department_id, sum(follow_ups) FROM (SELECT date_trunc('month', n.followed_at AT TIME ZONE 'Asia/Shanghai')::date AS month, coalesce(n.owner_id, 0) AS owner_id, coalesce(n.department_id, 0) AS department_id, coalesce(n.customer_department_id, 0) AS customer_department_id, 1 AS follow_ups FROM new_rows n WHERE TRUE UNION ALL SELECT date_trunc('month', o.followed_at AT TIME ZONE 'Asia/Shanghai')::date AS month, coalesce(o.owner_id, 0) AS owner_id, coalesce(o.department_id, 0) AS department_id, coalesce(o.customer_department_id, 0) AS customer_department_id, -1 AS follow_ups FROM old_rows o WHERE TRUE) x
        GROUP BY 1, 2, 3, 4 HAVING sum(follow_ups) <> 0 ORDER BY 1, 2, 3, 4
        ON CONFLICT (month, owner_id, department_id, customer_department_id) DO UPDATE SET follow_ups = monthly_figures.follow_ups + EXCLUDED.follow_ups;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER follow_ups_monthly_figures_ins AFTER INSERT ON follow_ups REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION follow_ups_monthly_figures();
CREATE TRIGGER follow_ups_monthly_figures_del AFTER DELETE ON follow_ups REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION follow_ups_monthly_figures();
CREATE TRIGGER follow_ups_monthly_figures_upd AFTER UPDATE ON follow_ups REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION follow_ups_monthly_figures();

-- A TRUNCATE (of test or generated data) empties the table's columns.
-- +goose StatementBegin
CREATE FUNCTION monthly_figures_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'orders' THEN
        UPDATE monthly_figures SET deal_amount = 0, deal_count = 0;
    ELSIF TG_TABLE_NAME = 'payments' THEN
        UPDATE monthly_figures SET paid_amount = 0, paid_count = 0;
    ELSE
        UPDATE monthly_figures SET follow_ups = 0;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER orders_monthly_figures_truncate AFTER TRUNCATE ON orders FOR EACH STATEMENT EXECUTE FUNCTION monthly_figures_truncate();
CREATE TRIGGER payments_monthly_figures_truncate AFTER TRUNCATE ON payments FOR EACH STATEMENT EXECUTE FUNCTION monthly_figures_truncate();
CREATE TRIGGER follow_ups_monthly_figures_truncate AFTER TRUNCATE ON follow_ups FOR EACH STATEMENT EXECUTE FUNCTION monthly_figures_truncate();

-- +goose Down
DROP TRIGGER follow_ups_monthly_figures_truncate ON follow_ups;
DROP TRIGGER payments_monthly_figures_truncate ON payments;
DROP TRIGGER orders_monthly_figures_truncate ON orders;
DROP FUNCTION monthly_figures_truncate();

DROP TRIGGER orders_monthly_figures_upd ON orders;
DROP TRIGGER orders_monthly_figures_del ON orders;
DROP TRIGGER orders_monthly_figures_ins ON orders;
DROP FUNCTION orders_monthly_figures();

DROP TRIGGER payments_monthly_figures_upd ON payments;
DROP TRIGGER payments_monthly_figures_del ON payments;
DROP TRIGGER payments_monthly_figures_ins ON payments;
DROP FUNCTION payments_monthly_figures();

DROP TRIGGER follow_ups_monthly_figures_upd ON follow_ups;
DROP TRIGGER follow_ups_monthly_figures_del ON follow_ups;
DROP TRIGGER follow_ups_monthly_figures_ins ON follow_ups;
DROP FUNCTION follow_ups_monthly_figures();

DROP TABLE monthly_figures;
